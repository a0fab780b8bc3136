using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Keel.Server.Telemetry;

/// <summary>
/// The server's spans and metrics, in plain System.Diagnostics: they cost a null check while nothing
/// listens (no OpenTelemetry SDK is needed in the core), and the host exports them (OTLP, Prometheus).
/// One source and one meter serve every server in the process, so names stay fixed for dashboards.
/// </summary>
public static class ServerTelemetry
{
    /// <summary>The ActivitySource and Meter name of the server.</summary>
    public const string Name = "Keel.Server";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    /// <summary>
    /// Bucket bounds, in seconds, for the latency histograms: an exporter's generic defaults (0, 5, 10,
    /// 25 … 10,000) are made for milliseconds and would put every commit and most attempts in the first
    /// bucket. These separate a sync (~0.1–1 ms) from a slow disk, and a quick attempt from a 20 ms pause.
    /// Declared before the instruments: static fields initialise in order.
    /// </summary>
    private static readonly InstrumentAdvice<double> SecondsBuckets = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    };

    /// <summary>Invocations that ended, by <c>keel.outcome</c> (completed, failed, cancelled, killed) and <c>keel.service</c>.</summary>
    public static readonly Counter<long> Invocations = Meter.CreateCounter<long>("keel.invocations", "{invocation}", "Invocations that ended, by outcome.");

    /// <summary>How long each attempt ran (request opened to End, Suspension, Error or transport failure), by <c>keel.outcome</c>.</summary>
    public static readonly Histogram<double> AttemptDuration = Meter.CreateHistogram("keel.attempt.duration", "s", "Duration of invocation attempts.", tags: null, advice: SecondsBuckets);

    /// <summary>Failed attempts that will be retried (a retry timer was set).</summary>
    public static readonly Counter<long> Retries = Meter.CreateCounter<long>("keel.attempt.retries", "{retry}", "Attempts scheduled for retry after a failure.");

    /// <summary>Deadlocks found: cycles of invocations each waiting for the next (a call's result or a key's lock).</summary>
    public static readonly Counter<long> DeadlocksDetected = Meter.CreateCounter<long>("keel.deadlocks.detected", "{cycle}", "Deadlock cycles detected among invocations.");

    /// <summary>Commands applied per committed batch (group commit: one fsync each).</summary>
    public static readonly Histogram<long> BatchSize = Meter.CreateHistogram<long>("keel.partition.batch.size", "{command}", "Commands per committed partition batch.");

    /// <summary>How long a batch's write took: with its fsync, or without one for a batch nobody outside can see yet (SyncDeferral).</summary>
    public static readonly Histogram<double> CommitDuration = Meter.CreateHistogram("keel.partition.commit.duration", "s", "Latency of partition batch commits.", tags: null, advice: SecondsBuckets);

    /// <summary>Times the whole process stood still (a garbage collection, CPU starvation, swapping), as seen by <c>StallMonitor</c>.</summary>
    public static readonly Histogram<double> ProcessStalls = Meter.CreateHistogram("keel.process.stall.duration", "s", "Stalls of the whole server process (20 ms or longer).", tags: null, advice: SecondsBuckets);

    private static readonly ConcurrentDictionary<object, Func<(int Partition, int Depth)>> QueueDepths = new();

    /// <summary>Commands waiting in each running partition's queue, by <c>keel.partition</c> (read when collected).</summary>
    public static readonly ObservableGauge<int> QueueDepth =
        Meter.CreateObservableGauge("keel.partition.queue.depth", ObserveQueueDepths, "{command}", "Commands waiting in each partition's queue.");

    /// <summary>Lets the queue-depth gauge read a running partition; dispose to stop.</summary>
    public static IDisposable TrackQueue(int partition, Func<int> depth)
    {
        var owner = new object();
        QueueDepths[owner] = () => (partition, depth());
        return new Untrack(owner);
    }

    /// <summary>
    /// Counts an ended invocation and, when someone listens, reports its whole life (creation to end)
    /// as one <c>invocation</c> span next to its attempts, under the trace it continues. The span is
    /// recorded at the end because an invocation outlives processes: only its stored context survives.
    /// </summary>
    public static void InvocationEnded(Partitions.PartitionAction.Completed completed, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(completed);
        var outcome = Outcome(completed.Result);
        Invocations.Add(1, new KeyValuePair<string, object?>("keel.outcome", outcome), new KeyValuePair<string, object?>("keel.service", completed.Service));
        if (!Source.HasListeners() || completed.CreatedAt == default)
        {
            return;
        }

        using var span = Source.StartActivity($"invocation {completed.Service}/{completed.Handler}", ActivityKind.Internal,
            completed.Trace?.ToActivityContext() ?? default, startTime: completed.CreatedAt);
        if (span is null)
        {
            return;
        }

        span.SetTag("keel.invocation.id", completed.Id.ToString());
        span.SetTag("keel.invocation.target", $"{completed.Service}/{completed.Handler}");
        span.SetTag("keel.outcome", outcome);
        if (outcome != "completed")
        {
            span.SetStatus(ActivityStatusCode.Error, (completed.Result as Contracts.InvocationResult.Failure)?.Message);
        }

        span.SetEndTime(now.UtcDateTime);
    }

    /// <summary>The outcome name of an ended invocation (as the invocation metric and span tag it).</summary>
    public static string Outcome(Contracts.InvocationResult result) => result switch
    {
        Contracts.InvocationResult.Success => "completed",
        Contracts.InvocationResult.Failure { Code: 409, Message: "killed" } => "killed",
        Contracts.InvocationResult.Failure { Code: 409 } => "cancelled",
        _ => "failed",
    };

    private static IEnumerable<Measurement<int>> ObserveQueueDepths()
    {
        foreach (var read in QueueDepths.Values)
        {
            var (partition, depth) = read();
            yield return new Measurement<int>(depth, new KeyValuePair<string, object?>("keel.partition", partition));
        }
    }

    private sealed class Untrack(object owner) : IDisposable
    {
        public void Dispose() => QueueDepths.TryRemove(owner, out _);
    }
}
