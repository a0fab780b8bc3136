namespace Keel.Server.Hosting;

/// <summary>
/// Testing seams, read from the environment only (no flag, no config key, not in --help): they exist for the
/// fault campaign (tests/Keel.Chaos) and are never on unless a test sets them.
/// </summary>
public sealed partial record ServerSettings
{
    /// <summary>A control file whose content makes the store's commits fail or slow (see <see cref="TestSeams.FaultInjectingStore"/>); none: the store is not wrapped.</summary>
    public string? TestStoreFaultsFile { get; init; }

    /// <summary>Added to the server's wall clock (timers, retention) to simulate a clock jump across a restart; zero: the machine's clock.</summary>
    public TimeSpan TestClockOffset { get; init; }

    /// <summary>
    /// How often a registry on a shared store (a cluster's database) reads the schema again; null: the registry's
    /// default. A long one leaves a node behind the others' registrations until a lookup misses, as a test needs to
    /// show what a node does with a service it does not know yet.
    /// </summary>
    public TimeSpan? TestSchemaPollInterval { get; init; }

    private ServerSettings WithTestSeams(Func<string, string?> env) => this with
    {
        TestStoreFaultsFile = env("KEEL_TEST_STORE_FAULTS") is { Length: > 0 } file ? file : null,
        TestClockOffset = env("KEEL_TEST_CLOCK_OFFSET") is { Length: > 0 } offset ? SignedDuration(offset, "KEEL_TEST_CLOCK_OFFSET") : TimeSpan.Zero,
        TestSchemaPollInterval = env("KEEL_TEST_SCHEMA_POLL_INTERVAL") is { Length: > 0 } poll && SignedDuration(poll, "KEEL_TEST_SCHEMA_POLL_INTERVAL") is var interval
            ? (interval > TimeSpan.Zero ? interval : throw new ArgumentException($"'KEEL_TEST_SCHEMA_POLL_INTERVAL' must be positive, got '{poll}'."))
            : null,
    };

    /// <summary>A duration such as 90s or 1h, with an optional leading minus sign.</summary>
    private static TimeSpan SignedDuration(string text, string name)
    {
        var trimmed = text.Trim();
        var negative = trimmed.StartsWith('-');
        return trimmed == "0" ? TimeSpan.Zero
            : Ingress.Durations.TryParse(negative ? trimmed[1..] : trimmed, out var duration) ? (negative ? -duration : duration)
            : throw new ArgumentException($"'{name}' must be a duration such as 90s or -5m, got '{text}'.");
    }
}
