using System.Net;
using Keel.Server.Hosting;
using Keel.Server.Tests.Admin;
using Microsoft.AspNetCore.Builder;

namespace Keel.Server.Tests.Hosting;

/// <summary>Requests that arrive while the server is still starting wait for it, then are served (or refused with 503 if the start failed).</summary>
public class StartGateTests
{
    [Fact]
    public async Task A_request_that_arrives_during_the_start_is_served_once_the_gate_opens()
    {
        var (app, gate, arrived) = await StartAsync();
        await using (app)
        {
            using var http = new HttpClient { BaseAddress = Apps.Address(app) };
            var answer = http.GetAsync(new Uri("/hello", UriKind.Relative));
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(answer.IsCompleted, "the request went past a closed gate");

            gate.Open();

            using var response = await answer.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("hello", await response.Content.ReadAsStringAsync());
            using var later = await http.GetAsync(new Uri("/hello", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        }
    }

    [Fact]
    public async Task Requests_get_503_when_the_start_failed()
    {
        var (app, gate, arrived) = await StartAsync();
        await using (app)
        {
            using var http = new HttpClient { BaseAddress = Apps.Address(app) };
            var answer = http.GetAsync(new Uri("/hello", UriKind.Relative));
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));

            gate.Fail();

            using var response = await answer.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("failed to start", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    /// <summary>An app with the gate in front of a /hello endpoint; <c>arrived</c> completes when the first request reached the gate.</summary>
    private static async Task<(WebApplication App, StartGate Gate, TaskCompletionSource Arrived)> StartAsync()
    {
        var app = Apps.Create();
        var gate = new StartGate();
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Use((http, next) =>
        {
            arrived.TrySetResult();
            return next(http);
        });
        gate.UseIn(app);
        app.MapGet("/hello", () => "hello");
        await app.StartAsync();
        return (app, gate, arrived);
    }
}
