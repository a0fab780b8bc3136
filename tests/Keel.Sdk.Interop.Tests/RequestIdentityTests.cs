using System.Net;
using System.Net.Http.Json;
using Keel.Sdk.AspNetCore;
using Keel.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Keel.Sdk.Interop.Tests;

[Service]
public sealed class IdentityProbe
{
    private static int s_executions;

    public static int Executions => Volatile.Read(ref s_executions);

    [Handler]
    public Task<string> Greet(IContext ctx, string name) => Task.FromResult($"Hello {name} ({Interlocked.Increment(ref s_executions)})");
}

/// <summary>
/// Request identity (v1: an ed25519 JWT in <c>x-restate-jwt-v1</c>) both ways: restate-server and the Keel
/// server signing with a private key from a PEM file; the Keel endpoint and the TypeScript SDK's endpoint
/// accepting only what one of their keys signed, answering 401 otherwise.
/// </summary>
public sealed class RequestIdentityTests
{
    /// <summary>A Keel endpoint (h2c, or HTTP/1.1 for <paramref name="requestResponse"/>) that counts the 401s it answers.</summary>
    private sealed class Endpoint : IAsyncDisposable
    {
        private int _rejected;

        private Endpoint(WebApplication app, int port)
        {
            App = app;
            Port = port;
        }

        public WebApplication App { get; }

        public int Port { get; }

        public Uri Url => new($"http://127.0.0.1:{Port}");

        public int Rejected => Volatile.Read(ref _rejected);

        public static async Task<Endpoint> StartAsync(int port, bool requestResponse, params string[] keys)
        {
            var app = KeelEndpoint.Build([], IPAddress.Loopback, port, requestResponse, k =>
            {
                k.AddService<IdentityProbe>();
                foreach (var key in keys)
                {
                    k.IdentityKeys.Add(key);
                }
            });
            Endpoint? endpoint = null;
            app.Use(async (HttpContext http, RequestDelegate next) =>
            {
                await next(http);
                if (http.Response.StatusCode == StatusCodes.Status401Unauthorized)
                {
                    Interlocked.Increment(ref endpoint!._rejected);
                }
            });
            endpoint = new Endpoint(app, port);
            await app.StartAsync();
            return endpoint;
        }

        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string? scheme, string? jwt)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.ParseAdd("application/vnd.restate.endpointmanifest.v2+json");
        if (scheme is not null)
        {
            request.Headers.TryAddWithoutValidation("x-restate-signature-scheme", scheme);
        }

        if (jwt is not null)
        {
            request.Headers.TryAddWithoutValidation("x-restate-jwt-v1", jwt);
        }

        if (method == HttpMethod.Post)
        {
            request.Content = new ByteArrayContent([]);
            request.Content.Headers.TryAddWithoutValidation("content-type", "application/vnd.restate.invocation.v6");
        }

        return await http.SendAsync(request);
    }

    [Fact]
    public async Task Keel_endpoint_with_identity_keys_answers_401_to_anything_not_signed_by_one_of_them()
    {
        using var key = IdentityKeyPair.Generate();
        using var other = IdentityKeyPair.Generate();
        using var second = IdentityKeyPair.Generate();
        await using var endpoint = await Endpoint.StartAsync(FreePort.Next(), requestResponse: true, key.PublicKey, second.PublicKey);
        using var http = new HttpClient { BaseAddress = endpoint.Url };

        async Task<(HttpStatusCode Status, string Body)> Discover(string? scheme, string? jwt)
        {
            using var response = await SendAsync(http, HttpMethod.Get, "/discover", scheme, jwt);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.OK, (await Discover("v1", key.Mint("/discover"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await Discover("v1", second.Mint("/discover"))).Status);

        var missing = await Discover(null, null);
        Assert.Equal((HttpStatusCode.Unauthorized, true), (missing.Status, missing.Body.Contains("x-restate-signature-scheme", StringComparison.Ordinal)));
        var unsigned = await Discover("unsigned", null);
        Assert.Equal((HttpStatusCode.Unauthorized, true), (unsigned.Status, unsigned.Body.Contains("unsigned", StringComparison.Ordinal)));
        var noToken = await Discover("v1", null);
        Assert.Equal((HttpStatusCode.Unauthorized, true), (noToken.Status, noToken.Body.Contains("x-restate-jwt-v1", StringComparison.Ordinal)));
        var wrongKey = await Discover("v1", other.Mint("/discover"));
        Assert.Equal((HttpStatusCode.Unauthorized, true), (wrongKey.Status, wrongKey.Body.Contains("none of this endpoint's identity keys", StringComparison.Ordinal)));
        var expired = await Discover("v1", key.Mint("/discover", DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(-2)));
        Assert.Equal((HttpStatusCode.Unauthorized, true), (expired.Status, expired.Body.Contains("expired", StringComparison.Ordinal)));
        var early = await Discover("v1", key.Mint("/discover", DateTimeOffset.UtcNow.AddMinutes(2), DateTimeOffset.UtcNow.AddMinutes(5)));
        Assert.Equal((HttpStatusCode.Unauthorized, true), (early.Status, early.Body.Contains("not valid yet", StringComparison.Ordinal)));
        var otherPath = await Discover("v1", key.Mint("/invoke/IdentityProbe/greet"));
        Assert.Equal((HttpStatusCode.Unauthorized, true), (otherPath.Status, otherPath.Body.Contains("/discover", StringComparison.Ordinal)));
        var garbage = await Discover("v1", "a.b.c");
        Assert.Equal(HttpStatusCode.Unauthorized, garbage.Status);

        // Invocations are checked before anything runs; a token for another handler does not pass.
        var before = IdentityProbe.Executions;
        using (var response = await SendAsync(http, HttpMethod.Post, "/invoke/IdentityProbe/greet", null, null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using (var response = await SendAsync(http, HttpMethod.Post, "/invoke/IdentityProbe/greet", "v1", key.Mint("/invoke/IdentityProbe/other")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Equal(before, IdentityProbe.Executions);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/health", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Without_identity_keys_the_endpoint_checks_nothing()
    {
        await using var endpoint = await Endpoint.StartAsync(FreePort.Next(), requestResponse: true);
        using var http = new HttpClient { BaseAddress = endpoint.Url };
        using var response = await SendAsync(http, HttpMethod.Get, "/discover", null, null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("AfQwmwfgEZhrWpvv8N52SHpRtZqGGaFr4AZN6qtYWSiY", "publickeyv1_")]
    [InlineData("publickeyv1_0OIl", "base58")]
    [InlineData("publickeyv1_AfQwmwfgEZ", "32")]
    public void A_malformed_identity_key_fails_AddKeel_with_what_is_wrong(string key, string expected)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var e = Assert.Throws<ArgumentException>(() => builder.Services.AddKeel(k => k.IdentityKeys.Add(key)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restate_server_signing_reaches_a_Keel_endpoint_with_its_key_and_not_one_with_another()
    {
        using var key = IdentityKeyPair.Generate();
        await using var server = await RestateServerProcess.StartAsync(new RestateServerOptions
        {
            Environment = new Dictionary<string, string>
            {
                ["RESTATE_REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE"] = key.PemFile,
                ["RESTATE_DEFAULT_RETRY_POLICY__INITIAL_INTERVAL"] = "50ms",
                ["RESTATE_DEFAULT_RETRY_POLICY__MAX_INTERVAL"] = "200ms",
            },
        });
        Assert.Contains(key.PublicKey, await ReadSharedAsync(server.LogFile), StringComparison.Ordinal);
        await SignedRoundTripAsync(server, key);
    }

    [Fact]
    public async Task Keel_server_signing_reaches_a_Keel_endpoint_with_its_key_and_not_one_with_another()
    {
        using var key = IdentityKeyPair.Generate();
        await using var server = await KeelServerProcess.StartAsync(new KeelServerOptions
        {
            ExtraArguments = ["--request-identity-private-key-pem-file", key.PemFile],
        });
        await Eventually.UntilAsync(async () => (await ReadSharedAsync(server.LogFile)).Contains(key.PublicKey, StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the Keel server to log its public key");
        await SignedRoundTripAsync(server, key);
    }

    [Fact]
    public async Task The_Keel_server_refuses_to_start_with_a_key_file_that_holds_no_ed25519_private_key()
    {
        var dir = Directory.CreateTempSubdirectory("keel-identity-bad-").FullName;
        var pem = Path.Combine(dir, "public.pem");
        await File.WriteAllTextAsync(pem, "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAj5BTvH+WJo0QGHm2hdLOuk6P7szKgTQxmpnnmZe/DcU=\n-----END PUBLIC KEY-----\n");
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet", [KeelServerProcess.ServerDll(), "--data-dir", Path.Combine(dir, "data"), "--request-identity-private-key-pem-file", pem])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using var process = System.Diagnostics.Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            Assert.Equal(2, process.ExitCode);
            Assert.Contains("'PUBLIC KEY' PEM block", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Keel_server_signing_reaches_the_TypeScript_SDK_endpoint_with_identityKeys()
    {
        using var key = IdentityKeyPair.Generate();
        using var other = IdentityKeyPair.Generate();
        await using var server = await KeelServerProcess.StartAsync(new KeelServerOptions
        {
            ExtraArguments = ["--request-identity-private-key-pem-file", key.PemFile],
        });
        await using var accepting = await NodeServicesProcess.StartAsync("identity.mjs", new Dictionary<string, string> { ["IDENTITY_KEYS"] = key.PublicKey });
        await using var refusing = await NodeServicesProcess.StartAsync("identity.mjs", new Dictionary<string, string> { ["IDENTITY_KEYS"] = other.PublicKey });
        using var admin = new AdminClient(server.AdminUrl);
        using var ingress = new IngressClient(server.IngressUrl);

        // The TS SDK refuses discovery signed with another key: the server reports the endpoint's 401.
        using var http = new HttpClient { BaseAddress = server.AdminUrl };
        using var refused = await http.PostAsJsonAsync("/deployments", new { uri = refusing.Url.ToString() });
        var refusal = await refused.Content.ReadAsStringAsync();
        Assert.False(refused.IsSuccessStatusCode, refusal);
        Assert.Contains("401", refusal, StringComparison.Ordinal);
        Assert.Contains($"this server signs with {key.PublicKey}", refusal, StringComparison.Ordinal);

        await admin.RegisterDeploymentAsync(accepting.Url);
        var response = await ingress.CallAsync("/Signed/greet", "Ada");
        Assert.True(response.IsSuccess, response.Body);
        Assert.Equal("Hello Ada (1)", response.Json.GetString());
    }

    /// <summary>
    /// Registers a Keel endpoint holding the server's public key and calls it; then the endpoint is replaced (same
    /// port) by one holding another key: an invocation sent meanwhile is refused with 401, retried, and not executed,
    /// until the right endpoint is back and it completes.
    /// </summary>
    private static async Task SignedRoundTripAsync(IServerProcess server, IdentityKeyPair key)
    {
        using var other = IdentityKeyPair.Generate();
        using var admin = new AdminClient(server.AdminUrl);
        using var ingress = new IngressClient(server.IngressUrl);
        var port = FreePort.Next();

        // Discovery itself is signed: an endpoint with another key refuses it.
        await using (var wrong = await Endpoint.StartAsync(port, requestResponse: false, other.PublicKey))
        {
            using var http = new HttpClient { BaseAddress = server.AdminUrl };
            using var refused = await http.PostAsJsonAsync("/deployments", new { uri = wrong.Url.ToString() });
            Assert.False(refused.IsSuccessStatusCode, await refused.Content.ReadAsStringAsync());
            Assert.True(wrong.Rejected > 0);
        }

        await using (var right = await Endpoint.StartAsync(port, requestResponse: false, key.PublicKey))
        {
            await admin.RegisterDeploymentAsync(right.Url);
            var response = await ingress.CallAsync("/IdentityProbe/greet", "Ada");
            Assert.True(response.IsSuccess, response.Body);
            Assert.StartsWith("Hello Ada", response.Json.GetString(), StringComparison.Ordinal);
            Assert.Equal(0, right.Rejected);
        }

        string invocationId;
        var executions = IdentityProbe.Executions;
        await using (var wrong = await Endpoint.StartAsync(port, requestResponse: false, other.PublicKey))
        {
            var sent = await ingress.SendAsync("/IdentityProbe/greet", "Grace");
            Assert.True(sent.IsSuccess, sent.Body);
            invocationId = sent.Json.GetProperty("invocationId").GetString()!;
            await Eventually.UntilAsync(() => Task.FromResult(wrong.Rejected >= 2), TimeSpan.FromSeconds(30), "the server to retry the refused invocation");
            Assert.Equal(executions, IdentityProbe.Executions);
        }

        await using (var right = await Endpoint.StartAsync(port, requestResponse: false, key.PublicKey))
        {
            IngressResponse? output = null;
            await Eventually.UntilAsync(async () =>
            {
                output = await ingress.GetAsync($"/restate/invocation/{invocationId}/output");
                return output.IsSuccess;
            }, TimeSpan.FromSeconds(30), "the retried invocation to complete once the endpoint holds the key");
            Assert.StartsWith("Hello Grace", output!.Json.GetString(), StringComparison.Ordinal);
        }
    }

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
