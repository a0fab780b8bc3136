namespace Keel.Server.Storage.Migrations;

/// <summary>What an upgrade did (or, in a dry run, would do): records per kind, batches, time.</summary>
public sealed class MigrationReport
{
    private readonly SortedDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public MigrationReport(int fromFormat, int toFormat, bool dryRun)
    {
        FromFormat = fromFormat;
        ToFormat = toFormat;
        DryRun = dryRun;
    }

    public int FromFormat { get; }

    public int ToFormat { get; }

    public bool DryRun { get; }

    /// <summary>Records converted (or to be converted) per kind, e.g. "status/suspended", "state", "timers/sleep".</summary>
    public IReadOnlyDictionary<string, long> Counts => _counts;

    /// <summary>Write batches committed (0 in a dry run).</summary>
    public int Batches { get; internal set; }

    public TimeSpan Elapsed { get; internal set; }

    public void Count(string kind, long n = 1) => _counts[kind] = _counts.GetValueOrDefault(kind) + n;

    public long this[string kind] => _counts.GetValueOrDefault(kind);

    /// <summary>One line per kind, for logs and the migrate command.</summary>
    public override string ToString() =>
        $"format {FromFormat} -> {ToFormat}{(DryRun ? " (dry run: nothing written)" : string.Empty)}: " +
        (_counts.Count == 0 ? "nothing to convert" : string.Join(", ", _counts.Select(c => $"{c.Key} {c.Value}"))) +
        $"; {Batches} batches in {Elapsed.TotalMilliseconds:0} ms";
}
