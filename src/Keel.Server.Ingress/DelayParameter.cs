namespace Keel.Server.Ingress;

/// <summary>
/// Reads the <c>?delay=</c> of a <c>/send</c>. A delay is capped so that "now + delay" is always a
/// time the server can store (Unix milliseconds in the timer key, <see cref="DateTimeOffset"/> up to
/// the year 9999): without a cap a delay of a few thousand years overflowed into a 500. restate-server
/// names no maximum; a hundred years is far beyond any schedule and fits until the year 9899.
/// </summary>
internal static class DelayParameter
{
    /// <summary>The largest delay a send takes.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(36_500);

    private static readonly string MaxText = $"{Durations.Format(Max)} (100 years)";

    /// <summary>Null and the delay, or the message of the 400 that refuses <paramref name="text"/>.</summary>
    public static string? Read(string? text, out TimeSpan delay)
    {
        if (!Durations.TryParse(text, out delay, out var error))
        {
            return $"Cannot parse delay: {error} The largest delay is {MaxText}.";
        }

        return delay > Max ? $"The delay '{text}' is larger than the maximum of {MaxText}." : null;
    }
}
