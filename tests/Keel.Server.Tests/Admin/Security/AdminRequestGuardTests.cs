using System.Text;
using Keel.Server.Admin.Security;
using Microsoft.AspNetCore.Http;

namespace Keel.Server.Tests.Admin.Security;

public sealed class AdminRequestGuardTests
{
    private const string Token = "s3cret-token";

    [Theory]
    [InlineData("127.0.0.1:9070")]
    [InlineData("[::1]:9070")]
    [InlineData("localhost:9070")]
    [InlineData("localhost")]
    [InlineData("10.1.2.3")]
    [InlineData("keel.example")]
    [InlineData("KEEL.example.:443")]
    public async Task Answers_its_own_host_names(string host)
    {
        var (status, passed) = await RunAsync(Request("GET", "/deployments", host: host), new AdminAccessOptions { AllowedHosts = ["keel.example"] });
        Assert.True(passed, $"refused with {status}");
    }

    [Theory]
    [InlineData("attacker.example:9070")]
    [InlineData("attacker.example")]
    [InlineData("localhost.attacker.example")]
    public async Task Refuses_a_rebound_host_name_before_anything_runs(string host)
    {
        var (status, passed) = await RunAsync(Request("GET", "/query", host: host), new AdminAccessOptions { AllowedHosts = ["keel.example"] });
        Assert.False(passed);
        Assert.Equal(421, status);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData(null)]
    public async Task Refuses_a_post_a_web_page_could_send_cross_site(string? contentType)
    {
        var (status, passed) = await RunAsync(Request("POST", "/deployments", "{\"uri\":\"http://evil:9080\",\"force\":true}", contentType), new AdminAccessOptions());
        Assert.False(passed);
        Assert.Equal(415, status);
    }

    [Theory]
    [InlineData("POST", "application/json")]
    [InlineData("POST", "application/json; charset=utf-8")]
    [InlineData("PATCH", "application/merge-patch+json")]
    public async Task Takes_json(string method, string contentType)
    {
        var (_, passed) = await RunAsync(Request(method, "/services/Greeter", "{}", contentType), new AdminAccessOptions());
        Assert.True(passed);
    }

    [Fact]
    public async Task A_patch_without_a_body_needs_no_content_type()
    {
        // The official restate CLI cancels and kills with a body-less PATCH.
        var (_, passed) = await RunAsync(Request("PATCH", "/invocations/inv_1/cancel"), new AdminAccessOptions());
        Assert.True(passed);
    }

    [Fact]
    public async Task A_patch_with_a_text_body_is_refused()
    {
        var (status, passed) = await RunAsync(Request("PATCH", "/services/Greeter", "{\"public\":false}", "text/plain"), new AdminAccessOptions());
        Assert.False(passed);
        Assert.Equal(415, status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong")]
    [InlineData("Basic czNjcmV0LXRva2Vu")]
    [InlineData("Bearer s3cret-token-longer")]
    public async Task With_a_token_set_a_request_without_it_is_refused(string? authorization)
    {
        var (status, passed) = await RunAsync(Request("GET", "/deployments", authorization: authorization), new AdminAccessOptions { Token = Token });
        Assert.False(passed);
        Assert.Equal(401, status);
    }

    [Fact]
    public async Task With_a_token_set_the_token_lets_the_request_through()
    {
        var (_, passed) = await RunAsync(Request("POST", "/query", "{\"query\":\"SELECT 1\"}", "application/json", authorization: "Bearer " + Token), new AdminAccessOptions { Token = Token });
        Assert.True(passed);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/v3/health")]
    [InlineData("/ui/")]
    [InlineData("/ui/js/app.js")]
    [InlineData("/")]
    public async Task The_console_files_and_health_stay_open(string path)
    {
        var (_, passed) = await RunAsync(Request("GET", path), new AdminAccessOptions { Token = Token });
        Assert.True(passed);
    }

    [Fact]
    public async Task A_token_does_not_open_a_rebound_host()
    {
        var (status, passed) = await RunAsync(Request("GET", "/deployments", host: "attacker.example", authorization: "Bearer " + Token), new AdminAccessOptions { Token = Token });
        Assert.False(passed);
        Assert.Equal(421, status);
    }

    private static DefaultHttpContext Request(string method, string path, string? body = null, string? contentType = null, string host = "127.0.0.1:9070", string? authorization = null)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        http.Request.Path = path;
        http.Request.Host = new HostString(host);
        http.Request.ContentType = contentType;
        if (authorization is not null)
        {
            http.Request.Headers.Authorization = authorization;
        }

        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            http.Request.Body = new MemoryStream(bytes);
            http.Request.ContentLength = bytes.Length;
        }

        http.Response.Body = new MemoryStream();
        return http;
    }

    private static async Task<(int Status, bool Passed)> RunAsync(DefaultHttpContext http, AdminAccessOptions options)
    {
        var passed = false;
        await new AdminRequestGuard(options).InvokeAsync(http, _ =>
        {
            passed = true;
            return Task.CompletedTask;
        });
        return (http.Response.StatusCode, passed);
    }
}
