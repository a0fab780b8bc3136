using System.Diagnostics;

namespace Keel.Sdk.Tests;

/// <summary>The handler span continues the runtime's traceparent; a missing or malformed one never fails, it starts a new trace.</summary>
public sealed class HandlerSpanTests : IDisposable
{
    private const string Parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name == KeelTelemetry.ActivitySourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public HandlerSpanTests() => ActivitySource.AddActivityListener(_listener);

    public void Dispose() => _listener.Dispose();

    [Fact]
    public void The_handler_span_is_a_child_of_the_runtime_s_traceparent_and_keeps_its_tracestate()
    {
        using var span = KeelTelemetry.StartHandler("Greeter", "greet", Parent, "vendor=1");
        Assert.NotNull(span);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", span.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", span.ParentSpanId.ToHexString());
        Assert.Equal("vendor=1", span.TraceStateString);
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal("handler Greeter/greet", span.DisplayName);
        Assert.Equal($"00-{span.TraceId.ToHexString()}-{span.SpanId.ToHexString()}-01", KeelTelemetry.TraceResponse(span));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    [InlineData("garbage", "=,=")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01", null)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033-01", null)]
    public void A_missing_or_malformed_traceparent_starts_a_new_trace(string? traceParent, string? traceState)
    {
        using var span = KeelTelemetry.StartHandler("Greeter", "greet", traceParent, traceState);
        Assert.NotNull(span);
        Assert.Equal(default, span.ParentSpanId);
    }
}
