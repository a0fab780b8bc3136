using System.Globalization;

namespace Keel.Server.TestSeams;

/// <summary>
/// What a <see cref="FaultInjectingStore"/> does to commits, as read from its control file: one line,
/// <c>fail-commits</c> (every commit throws, as a disk that refuses writes) or <c>slow-commits 300ms</c> (every
/// commit waits that long first, as a slow fsync); an empty or missing file means none.
/// </summary>
public sealed record StoreFaults(bool FailCommits, TimeSpan CommitDelay)
{
    public static readonly StoreFaults None = new(false, TimeSpan.Zero);

    /// <exception cref="FormatException">The text is none of the above.</exception>
    public static StoreFaults Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return words switch
        {
            [] => None,
            ["fail-commits"] => new StoreFaults(true, TimeSpan.Zero),
            ["slow-commits", var delay] when delay.EndsWith("ms", StringComparison.Ordinal)
                && int.TryParse(delay[..^2], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) => new StoreFaults(false, TimeSpan.FromMilliseconds(ms)),
            _ => throw new FormatException($"a store fault must be 'fail-commits' or 'slow-commits <n>ms', got '{text.Trim()}'"),
        };
    }
}
