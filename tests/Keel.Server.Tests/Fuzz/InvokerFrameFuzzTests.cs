using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Keel.Fuzzing;

namespace Keel.Server.Tests.Fuzz;

/// <summary>
/// A deployment answers an attempt with fuzzed frames (honest messages with hostile values, unknown types,
/// lying lengths, garbage, cut streams; see <see cref="FuzzFrames"/>), for protocol V5, V6 and V7. Whatever it
/// sends, the invocation ends — completed, failed, or, when it legitimately waits (suspended, paused), killed
/// by the operator — within a deadline; its journal still reads through SQL; and the server stays whole (no
/// partition stopped, nothing logged as an error, a plain call still answers).
/// </summary>
[Collection(FuzzServerCollection.Name)]
public sealed class InvokerFrameFuzzTests(FuzzServer server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Any_answer_of_a_deployment_ends_its_invocation_and_leaves_the_server_whole()
    {
        await Gen.UInt.Array[1, 300].SampleAsync(async values =>
        {
            var c = new FuzzChoices(values);
            var service = c.Pick(FuzzServer.FuzzedServices);
            var name = Guid.NewGuid().ToString("N");
            var bytes = FuzzFrames.Stream(c, 10);
            server.DeploymentOf(service).Add(name, bytes);
            var context = $"{service}, case {Convert.ToHexString(bytes)}";

            var id = await SendAsync(service, name, context);
            await EndsAsync(id, context);
            using var journal = await QueryAsync($"SELECT index, entry_type FROM sys_journal WHERE id = '{id}'");
            Assert.True(journal.StatusCode == HttpStatusCode.OK, $"{context}: the journal of {id} does not read: {await journal.Content.ReadAsStringAsync()}");
            await server.AssertHealthyAsync(context);
        }, iter: FuzzIterations.Count(8), threads: 1);
    }

    /// <summary>Sends the invocation (its input names the case) and returns its id.</summary>
    private async Task<string> SendAsync(string service, string name, string context)
    {
        using var sent = await server.Ingress.PostAsync(new Uri($"/{service}/k-{name[..6]}/run/send", UriKind.Relative),
            new StringContent($"\"{name}\"", Encoding.UTF8, "application/json"));
        var text = await sent.Content.ReadAsStringAsync();
        Assert.True(sent.StatusCode == HttpStatusCode.Accepted, $"{context}: send got {(int)sent.StatusCode} {text}");
        return (string)JsonNode.Parse(text)!["invocationId"]!;
    }

    /// <summary>
    /// Waits for the invocation's result. One that waits for something (suspended, paused, backing off for long,
    /// scheduled) is killed, and must then end; one still running once the deadline passed is hung (the
    /// deployment ends every attempt at once).
    /// </summary>
    private async Task EndsAsync(string id, string context)
    {
        var deadline = DateTime.UtcNow + Deadline;
        var status = "";
        while (await AttachAsync(id, context, TimeSpan.FromMilliseconds(500)) is null)
        {
            using var query = await QueryAsync($"SELECT status FROM sys_invocation WHERE id = '{id}'");
            status = (string?)JsonNode.Parse(await query.Content.ReadAsStringAsync())?["rows"]?[0]?["status"] ?? "(no row)";
            if (status is not ("running" or "pending" or "ready"))
            {
                using var kill = await server.Admin.PatchAsync(new Uri($"/invocations/{id}/kill", UriKind.Relative), null);
                Assert.True(kill.IsSuccessStatusCode || kill.StatusCode == HttpStatusCode.Conflict,
                    $"{context}: killing {id} ({status}) got {(int)kill.StatusCode} {await kill.Content.ReadAsStringAsync()}");
                Assert.True(await AttachAsync(id, context, Deadline) is not null, $"{context}: {id} did not end within {Deadline} of its kill (it was {status})");
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{context}: {id} is still {status} after {Deadline}: hung");
        }
    }

    /// <summary>The attach's status, or null when the invocation did not end within <paramref name="patience"/>.</summary>
    private async Task<HttpStatusCode?> AttachAsync(string id, string context, TimeSpan patience)
    {
        using var deadline = new CancellationTokenSource(patience);
        try
        {
            using var attached = await server.Ingress.GetAsync(new Uri($"/restate/invocation/{id}/attach", UriKind.Relative), deadline.Token);
            await FuzzServer.AssertAnsweredAsync(attached, $"{context}: attach");
            return attached.StatusCode;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return null;
        }
    }

    private Task<HttpResponseMessage> QueryAsync(string sql)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/query") { Content = JsonContent(new JsonObject { ["query"] = sql }) };
        request.Headers.Accept.ParseAdd("application/json");
        return server.Admin.SendAsync(request);
    }

    private static StringContent JsonContent(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");
}
