using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Keel.TestSupport;

namespace Keel.Server.E2E.Tests;

/// <summary>
/// A workflow's retention set by an operator (<c>PATCH /services/{name}</c>) is applied: the finished
/// workflow's output, promise and state stay reachable for that long — across a kill -9 and restart —
/// then disappear, and the workflow id may run again.
/// </summary>
public sealed class WorkflowRetentionTests : IAsyncLifetime
{
    private static readonly TimeSpan Retention = TimeSpan.FromSeconds(6);
    private KeelServerProcess _server = null!;
    private NodeServicesProcess _services = null!;

    public async Task InitializeAsync()
    {
        _server = await KeelServerProcess.StartAsync(new KeelServerOptions { ExtraArguments = ["--cleanup-interval", "200ms"] });
        _services = await NodeServicesProcess.StartAsync();
        using var admin = new AdminClient(_server.AdminUrl);
        await admin.RegisterDeploymentAsync(_services.Url);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Output_promise_and_state_stay_for_the_patched_retention_then_the_id_runs_again()
    {
        using var http = new HttpClient { BaseAddress = _server.AdminUrl };
        var patched = await http.PatchAsJsonAsync("/services/BlockAndWaitWorkflow", new { workflow_completion_retention = "6s" });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("6s", (await patched.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("workflow_completion_retention").GetString());

        using var ingress = new IngressClient(_server.IngressUrl);
        var id = Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.Accepted, (await ingress.SendAsync($"/BlockAndWaitWorkflow/{id}/run", "first")).Status);
        var clock = Stopwatch.StartNew();
        Assert.True((await ingress.CallAsync($"/BlockAndWaitWorkflow/{id}/unblock", "done")).IsSuccess);
        var output = await ingress.GetAsync($"/restate/workflow/BlockAndWaitWorkflow/{id}/attach");
        Assert.Equal("\"done\"", output.Body);

        // Within the retention, across a crash: the result and the state are still there.
        await _server.KillAsync();
        await _server.RestartAsync();
        using var after = new IngressClient(_server.IngressUrl);
        var kept = await after.GetAsync($"/restate/workflow/BlockAndWaitWorkflow/{id}/output");
        var observedAt = clock.Elapsed;
        if (observedAt < Retention)
        {
            Assert.Equal((HttpStatusCode.OK, "\"done\""), (kept.Status, kept.Body));
        }

        // Then it goes, and not before the retention has passed since the run completed.
        await Eventually.UntilAsync(async () => (await after.GetAsync($"/restate/workflow/BlockAndWaitWorkflow/{id}/output")).Status == HttpStatusCode.NotFound,
            Retention + TimeSpan.FromSeconds(30), "the workflow's output to be removed after its retention");
        Assert.True(clock.Elapsed >= Retention, $"removed after {clock.Elapsed}, before its retention of {Retention}");
        Assert.Equal("null", (await after.CallAsync($"/BlockAndWaitWorkflow/{id}/getState")).Body);

        Assert.Equal(HttpStatusCode.Accepted, (await after.SendAsync($"/BlockAndWaitWorkflow/{id}/run", "second")).Status);
        await Eventually.UntilAsync(async () => (await after.CallAsync($"/BlockAndWaitWorkflow/{id}/getState")).Body == "\"second\"",
            TimeSpan.FromSeconds(30), "the new run of the same workflow id to store its input");
    }
}
