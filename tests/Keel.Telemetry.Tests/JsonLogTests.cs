using System.Text.Json;
using Keel.TestSupport;

namespace Keel.Telemetry.Tests;

/// <summary>The keel-server executable with <c>--log-format json</c>: one JSON object a line, invocation logs scoped by id.</summary>
[Collection(TracedSystem.Collection)]
public sealed class JsonLogTests(TracedSystem system)
{
    [Fact]
    public async Task Json_logs_carry_the_invocation_id_in_the_scope_of_a_failed_attempt()
    {
        await using var server = await KeelServerProcess.StartAsync(new KeelServerOptions { ExtraArguments = ["--log-format", "json"] });
        using (var admin = new AdminClient(server.AdminUrl))
        {
            await admin.RegisterDeploymentAsync(system.EndpointUrl);
        }

        using var ingress = new IngressClient(server.IngressUrl);
        var sent = await ingress.SendAsync("TraceFlaky/fail");
        Assert.True(sent.IsSuccess, sent.Body);
        var id = sent.Json.GetProperty("invocationId").GetString()!;

        JsonElement? line = null;
        await Eventually.UntilAsync(() => Task.FromResult((line = ScopedLine(server.LogFile, id)) is not null), TimeSpan.FromSeconds(30),
            $"a JSON log line scoped by {id}");
        Assert.Contains(id, line!.Value.GetProperty("Message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>The first JSON line whose scopes name the invocation; every non-empty line must be JSON.</summary>
    private static JsonElement? ScopedLine(string logFile, string invocationId)
    {
        using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        foreach (var text in reader.ReadToEnd().Split('\n').Where(l => l.StartsWith('{')))
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.TryGetProperty("Scopes", out var scopes)
                && scopes.EnumerateArray().Any(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("InvocationId", out var scoped) && scoped.GetString() == invocationId))
            {
                return root.Clone();
            }
        }

        return null;
    }
}
