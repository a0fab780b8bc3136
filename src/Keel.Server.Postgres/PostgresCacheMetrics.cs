using System.Diagnostics;
using System.Diagnostics.Metrics;
using Keel.Server.Storage;
using Keel.Server.Telemetry;

namespace Keel.Server.Postgres;

/// <summary>
/// The owner-side cache's counters, on the server's meter (exported on /metrics like the others), by
/// <c>keel.table</c> and <c>keel.read</c> (point or range), so a poor hit rate says which reads miss.
/// </summary>
internal static class PostgresCacheMetrics
{
    private static readonly string[] TableNames = [.. Enum.GetValues<Table>().Select(t => t.ToString().ToLowerInvariant())];

    /// <summary>Reads (point or range) a partition's owner answered from its cache.</summary>
    public static readonly Counter<long> Hits = ServerTelemetry.Meter.CreateCounter<long>(
        "keel.postgres.cache.hits", "{read}", "Storage reads answered from the owner-side cache of a leased partition.");

    /// <summary>Reads that went to PostgreSQL while the cache was in use (not counted while the lease is not certainly held).</summary>
    public static readonly Counter<long> Misses = ServerTelemetry.Meter.CreateCounter<long>(
        "keel.postgres.cache.misses", "{read}", "Storage reads of a leased partition that went to PostgreSQL.");

    public static void Hit(Table table, bool range) => Hits.Add(1, Tags(table, range));

    public static void Miss(Table table, bool range) => Misses.Add(1, Tags(table, range));

    private static TagList Tags(Table table, bool range) =>
        new() { { "keel.table", TableNames[(int)table] }, { "keel.read", range ? "range" : "point" } };
}
