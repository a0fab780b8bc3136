using System.Diagnostics;
using Keel.TestSupport;

namespace Keel.Telemetry.Tests;

/// <summary>One ingress request through A → B → C is one trace, across the server and the SDK.</summary>
[Collection(TracedSystem.Collection)]
public sealed class TracingTests(TracedSystem system)
{
    private static readonly string[] ChainFromLeafToIngress =
    [
        "handler TraceC/leaf", "attempt TraceC/leaf", "call TraceC/leaf",
        "handler TraceB/relay", "attempt TraceB/relay", "call TraceB/relay",
        "handler TraceA/start", "attempt TraceA/start", "ingress TraceA/start",
    ];

    [Fact]
    public async Task One_ingress_request_through_three_services_is_one_trace_with_a_parent_chain()
    {
        var client = ActivityContext.Parse("00-" + ActivityTraceId.CreateRandom().ToHexString() + "-" + ActivitySpanId.CreateRandom().ToHexString() + "-01", null);
        using var ingress = new IngressClient(system.Server.IngressUrl);
        var response = await ingress.CallAsync("TraceA/start", "x", headers: new Dictionary<string, string> { ["traceparent"] = Header(client) });
        Assert.Equal("A>B>C:X", response.Json.GetString());

        var spans = await system.WaitForSpansAsync(client.TraceId, [.. ChainFromLeafToIngress, "run step", "invocation TraceA/start", "invocation TraceC/leaf"]);
        var byId = spans.ToDictionary(s => s.SpanId);

        // Walk up from C's handler: each span's parent is the next one of the chain, server and SDK alike.
        var span = spans.Single(s => s.DisplayName == "handler TraceC/leaf");
        foreach (var expected in ChainFromLeafToIngress)
        {
            Assert.Equal(expected, span.DisplayName);
            if (expected == ChainFromLeafToIngress[^1])
            {
                break;
            }

            Assert.True(byId.TryGetValue(span.ParentSpanId, out var parent), $"the parent of '{span.DisplayName}' was not exported");
            span = parent!;
        }

        // The ingress span continues the client's traceparent.
        Assert.Equal(client.SpanId, span.ParentSpanId);
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal("Keel.Server", span.Source.Name);

        // SDK spans: the run executed by B, the calls A and B issued, all under their handler's span.
        var handlerB = spans.Single(s => s.DisplayName == "handler TraceB/relay");
        Assert.Equal("Keel.Sdk", handlerB.Source.Name);
        Assert.Equal(handlerB.SpanId, spans.Single(s => s.DisplayName == "run step").ParentSpanId);
        Assert.Contains(spans, s => s.Source.Name == "Keel.Sdk" && s.DisplayName == "call TraceC/leaf" && s.ParentSpanId == handlerB.SpanId);

        // Each invocation's whole life is one span beside its attempts, with its outcome.
        var invocationA = spans.Single(s => s.DisplayName == "invocation TraceA/start");
        Assert.Equal(span.SpanId, invocationA.ParentSpanId);
        Assert.Equal("completed", invocationA.GetTagItem("keel.outcome"));
        var attemptC = spans.Single(s => s.DisplayName == "attempt TraceC/leaf");
        Assert.Equal(attemptC.ParentSpanId, spans.Single(s => s.DisplayName == "invocation TraceC/leaf").ParentSpanId);

        // Every attempt span names its invocation.
        Assert.All(spans.Where(s => s.DisplayName.StartsWith("attempt ", StringComparison.Ordinal)),
            s => Assert.StartsWith("inv_", s.GetTagItem("keel.invocation.id") as string, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_without_traceparent_starts_a_new_trace_that_still_reaches_the_leaf()
    {
        using var ingress = new IngressClient(system.Server.IngressUrl);
        var response = await ingress.CallAsync("TraceA/start", "y", headers: new Dictionary<string, string> { ["traceparent"] = "not-a-trace-context", ["tracestate"] = "=,=" });
        Assert.Equal("A>B>C:Y", response.Json.GetString());

        // The malformed header is ignored: the ingress span is a root, and C's handler is in its trace.
        await Eventually.UntilAsync(() => Task.FromResult(IngressSpanOf(response.InvocationId) is not null), TimeSpan.FromSeconds(30), "the ingress span");
        var root = IngressSpanOf(response.InvocationId)!;
        Assert.Equal(default, root.ParentSpanId);
        await system.WaitForSpansAsync(root.TraceId, "handler TraceC/leaf");
    }

    [Fact]
    public async Task A_delayed_send_continues_its_trace_after_a_server_restart()
    {
        var client = ActivityContext.Parse("00-" + ActivityTraceId.CreateRandom().ToHexString() + "-" + ActivitySpanId.CreateRandom().ToHexString() + "-01", null);
        using (var ingress = new IngressClient(system.Server.IngressUrl))
        {
            var sent = await ingress.PostAsync("TraceA/start/send?delay=3s", "\"z\""u8.ToArray(), "application/json",
                headers: new Dictionary<string, string> { ["traceparent"] = Header(client), ["tracestate"] = "vendor=abc" });
            Assert.True(sent.IsSuccess, sent.Body);
        }

        // The stored invocation carries the trace context through the restart; the new process runs it.
        var stoppedAt = await system.RestartServerAsync();
        var spans = await system.WaitForSpansAsync(client.TraceId, "attempt TraceA/start", "handler TraceC/leaf");
        var attempt = spans.Single(s => s.DisplayName == "attempt TraceA/start");
        Assert.True(attempt.StartTimeUtc >= stoppedAt, "the attempt ran before the restart (raise the delay)");
        var ingressSpan = spans.Single(s => s.DisplayName == "ingress TraceA/start");
        Assert.Equal(ingressSpan.SpanId, attempt.ParentSpanId);
        Assert.Equal("vendor=abc", attempt.TraceStateString);
    }

    private Activity? IngressSpanOf(string? invocationId) =>
        system.AllSpans().FirstOrDefault(s => s.DisplayName == "ingress TraceA/start" && (string?)s.GetTagItem("keel.invocation.id") == invocationId);

    private static string Header(ActivityContext context) => $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-01";
}
