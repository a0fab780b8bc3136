using System.Net;
using System.Text.Json;
using Keel.Server.Hosting;
using Keel.Server.Tests.Admin;
using Microsoft.AspNetCore.Builder;

namespace Keel.Server.Tests.Hosting;

/// <summary>
/// Errors no mapping names still get an answer with a body: 500 while the server runs, 503 while it stops
/// (the outcome is unknown and the client should retry), never Kestrel's empty 500.
/// </summary>
public class RuntimeErrorMappingTests
{
    [Fact]
    public async Task An_unexpected_error_is_a_500_that_says_what_failed()
    {
        var app = Apps.Create();
        app.UseRuntimeErrorMapping(maxBodyBytes: 1024);
        app.MapGet("/boom", (Func<string>)(() => throw new InvalidOperationException("a bug")));
        await app.StartAsync();
        await using (app)
        {
            using var http = new HttpClient { BaseAddress = Apps.Address(app) };
            using var response = await http.GetAsync(new Uri("/boom", UriKind.Relative));

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(500, body.RootElement.GetProperty("code").GetInt32());
            Assert.Contains(nameof(InvalidOperationException), body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_request_failing_because_the_server_is_stopping_gets_503_with_retry_after()
    {
        var app = Apps.Create();
        app.UseRuntimeErrorMapping(maxBodyBytes: 1024);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.MapGet("/work", async () =>
        {
            arrived.TrySetResult();
            await release.Task;

            // What a part already disposed by the stop throws at the request.
            throw new ObjectDisposedException("partition queue");
        });
        await app.StartAsync();
        await using (app)
        {
            using var http = new HttpClient { BaseAddress = Apps.Address(app) };
            var answer = http.GetAsync(new Uri("/work", UriKind.Relative));
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));

            app.Lifetime.StopApplication();
            release.SetResult();

            using var response = await answer.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Contains("stopping", body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }
}
