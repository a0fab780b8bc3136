using System.Diagnostics;

namespace Keel.Server.Telemetry;

/// <summary>
/// Measures one batch's durable write: its latency and size (metrics), and a <c>partition commit</c>
/// span when someone listens. Started without a parent on purpose: a batch serves many invocations
/// and belongs to none of their traces. (One small object per batch, not per command.)
/// </summary>
public sealed class CommitMeasurement : IDisposable
{
    private readonly int _partition;
    private readonly int _commands;
    private readonly long _started;
    private readonly Activity? _activity;

    public CommitMeasurement(int partition, int commands)
    {
        _partition = partition;
        _commands = commands;
        _started = Stopwatch.GetTimestamp();
        _activity = ServerTelemetry.Source.HasListeners()
            ? ServerTelemetry.Source.StartActivity("partition commit", ActivityKind.Internal, default(ActivityContext))
            : null;
        _activity?.SetTag("keel.partition", partition);
        _activity?.SetTag("keel.batch.size", commands);
    }

    public void Dispose()
    {
        var partition = new KeyValuePair<string, object?>("keel.partition", _partition);
        ServerTelemetry.CommitDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, partition);
        ServerTelemetry.BatchSize.Record(_commands, partition);
        _activity?.Dispose();
    }
}
