namespace Keel.Server.Partitions;

/// <summary>Tuning of a partition processor.</summary>
public sealed record ProcessorOptions
{
    /// <summary>New requests that may wait in one partition's queue before clients are told to back off.</summary>
    public int QueueCapacity { get; init; } = 10_000;

    public TimeSpan CleanupInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Durable timers due within this window are held in memory; later ones are read from disk as it moves.</summary>
    public TimeSpan TimerWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Due timers fire only while fewer commands than this wait in the partition's queue and attempts
    /// in the invoker's queue together (the rest wait in the timer window, on disk, for room), so a
    /// backlog of overdue timers after downtime does not flood memory. A few batches' worth keeps the
    /// apply thread busy.
    /// </summary>
    public int TimerFireWatermark { get; init; } = 4 * 1024;

    /// <summary>
    /// Attempts stop reading their deployment's stream while this many internal commands (effects,
    /// timers, hand-overs) wait in the partition's queue; HTTP/2 flow control then holds the SDK.
    /// </summary>
    public int InternalRoom { get; init; } = 8 * 1024;

    /// <summary>
    /// How often unacknowledged outbox entries are handed over again; null: only at start (one
    /// process, where a hand-over is lost only with the process itself). A periodic pass resends only
    /// entries already in the outbox when the previous pass began, so a lost hand-over is resent after
    /// one to two intervals, and one acknowledged within an interval never is.
    /// </summary>
    public TimeSpan? OutboxRedeliveryInterval { get; init; }

    /// <summary>
    /// Served under a lease (a cluster node): after a storage failure the partition is given back and taken over
    /// again, here or on another node, while on one server the server stops. Only what the log says depends on it.
    /// </summary>
    public bool ServedUnderLease { get; init; }
}
