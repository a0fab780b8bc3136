namespace Keel.Chaos.Services;

/// <summary>
/// The side-effect ledger outside Keel: a file (<c>LEDGER_FILE</c>) the effect appends one line to per attempt,
/// "request-id invocation-id", synced before the effect returns. A file, not memory, so that it outlives a kill -9
/// of this endpoint; the campaign reads it at the end.
/// </summary>
public static class EffectLedger
{
    private static readonly Lock Gate = new();

    public static void Record(string requestId, string invocationId)
    {
        var path = Environment.GetEnvironmentVariable("LEDGER_FILE") ?? throw new InvalidOperationException("LEDGER_FILE is not set.");
        lock (Gate)
        {
            using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            file.Write(System.Text.Encoding.UTF8.GetBytes($"{requestId} {invocationId}\n"));
            // Synced before the run's result goes to the server: an effect the server was told about is in the file.
            file.Flush(flushToDisk: true);
        }
    }
}
