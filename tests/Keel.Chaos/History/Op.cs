namespace Keel.Chaos.History;

/// <summary>
/// One entry of a history: a client process invoking an operation, or the completion of the operation that
/// process invoked last. Values are plain data (numbers, lists, small records) so a history dumps to JSON.
/// </summary>
public sealed record Op
{
    /// <summary>The process id of nemesis events: they are recorded in the history but are no client's operations.</summary>
    public const int NemesisProcess = -1;

    /// <summary>Position in the history (entries are appended in time order).</summary>
    public required long Index { get; init; }

    /// <summary>
    /// The logical client that performed it. A process does one operation at a time; after an <see cref="OpKind.Info"/>
    /// its operation may still be in flight, so the client carries on as a new process (Jepsen's convention).
    /// </summary>
    public required int Process { get; init; }

    public required OpKind Kind { get; init; }

    /// <summary>The function: "add", "read", "write", "cas", or a nemesis event ("kill", "start").</summary>
    public required string F { get; init; }

    /// <summary>The object the operation is on (a set's or a register's key); checkers judge each key on its own.</summary>
    public string? Key { get; init; }

    /// <summary>The argument on an invocation; the result on a completion (an ok read's value).</summary>
    public object? Value { get; init; }

    /// <summary>Nanoseconds since the history began, from a monotonic clock (never wall-clock time, which may jump).</summary>
    public required long Time { get; init; }

    /// <summary>Why an operation failed or is indeterminate (an exception's message, a status code).</summary>
    public string? Error { get; init; }
}
