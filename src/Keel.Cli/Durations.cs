using System.Globalization;
using System.Text.RegularExpressions;

namespace Keel.Cli;

/// <summary>
/// Checks durations before they are sent, so a typo fails with a clear line instead of a server round trip. Accepts
/// what the admin API reads: friendly (<c>10s</c>, <c>500ms</c>, <c>2days</c>, <c>36h 4m 2s</c>, <c>1 day, 2 hours</c>),
/// the bare <c>0</c>, or ISO 8601 (<c>PT10S</c>, <c>P30D</c>). Months and years are refused, as the server does.
/// </summary>
internal static partial class Durations
{
    public static string Validate(string text, string option)
    {
        var t = text.Trim();
        if (t == "0" || IsoDuration().IsMatch(t) && t is not "P" and not "PT")
        {
            return t;
        }

        var matched = FriendlyPart().Matches(t);
        if (matched.Count > 0 && Separators().Replace(FriendlyPart().Replace(t, string.Empty), string.Empty).Length == 0)
        {
            return t;
        }

        throw CliException.Usage($"{option}: '{text}' is not a duration (examples: 10s, 500ms, 2d, 36h 4m, PT10S)");
    }

    /// <summary>A duration as a TimeSpan, for the few client-side uses (--stuck-for).</summary>
    public static TimeSpan Parse(string text, string option)
    {
        var t = Validate(text, option);
        if (t == "0")
        {
            return TimeSpan.Zero;
        }

        if (t.StartsWith('P'))
        {
            return System.Xml.XmlConvert.ToTimeSpan(t);
        }

        var total = TimeSpan.Zero;
        foreach (Match m in FriendlyPart().Matches(t))
        {
            var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            total += m.Groups["u"].Value.ToUpperInvariant() switch
            {
                "NS" or "NANOS" or "NANOSECOND" or "NANOSECONDS" => TimeSpan.FromTicks((long)(n / 100)),
                "US" or "MICROS" or "MICROSECOND" or "MICROSECONDS" => TimeSpan.FromMicroseconds(n),
                "MS" or "MILLIS" or "MSEC" or "MILLISECOND" or "MILLISECONDS" => TimeSpan.FromMilliseconds(n),
                "S" or "SEC" or "SECS" or "SECOND" or "SECONDS" => TimeSpan.FromSeconds(n),
                "M" or "MIN" or "MINS" or "MINUTE" or "MINUTES" => TimeSpan.FromMinutes(n),
                "H" or "HR" or "HRS" or "HOUR" or "HOURS" => TimeSpan.FromHours(n),
                "D" or "DAY" or "DAYS" => TimeSpan.FromDays(n),
                _ => TimeSpan.FromDays(7 * n),
            };
        }

        return total;
    }

    [GeneratedRegex(@"^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$", RegexOptions.IgnoreCase)]
    private static partial Regex IsoDuration();

    [GeneratedRegex(@"(?<n>\d+(\.\d+)?)\s*(?<u>nanoseconds?|nanos|ns|microseconds?|micros|us|milliseconds?|millis|msec|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)(?![a-z])", RegexOptions.IgnoreCase)]
    private static partial Regex FriendlyPart();

    [GeneratedRegex(@"[\s,]|\band\b")]
    private static partial Regex Separators();
}
