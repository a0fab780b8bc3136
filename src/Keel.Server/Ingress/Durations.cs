using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;

namespace Keel.Server.Ingress;

/// <summary>Parses "friendly" durations (<c>10s</c>, <c>500ms</c>, <c>1m30s</c>, <c>2 days</c>) and ISO-8601 ones (<c>PT5S</c>).</summary>
public static partial class Durations
{
    [GeneratedRegex(@"^\s*((?<n>\d+(\.\d+)?)\s*(?<u>ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\s*)+$", RegexOptions.IgnoreCase)]
    private static partial Regex Friendly();

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (text.StartsWith('P') || text.StartsWith('p'))
        {
            try
            {
                duration = XmlConvert.ToTimeSpan(text.ToUpperInvariant());
                return duration >= TimeSpan.Zero;
            }
            catch (FormatException)
            {
                return false;
            }
        }

        var match = Friendly().Match(text);
        if (!match.Success)
        {
            return false;
        }

        for (var i = 0; i < match.Groups["n"].Captures.Count; i++)
        {
            var n = double.Parse(match.Groups["n"].Captures[i].Value, CultureInfo.InvariantCulture);
            var unit = match.Groups["u"].Captures[i].Value.ToLowerInvariant();
            duration += unit switch
            {
                "ms" or "millisecond" or "milliseconds" => TimeSpan.FromMilliseconds(n),
                "s" or "sec" or "secs" or "second" or "seconds" => TimeSpan.FromSeconds(n),
                "m" or "min" or "mins" or "minute" or "minutes" => TimeSpan.FromMinutes(n),
                "h" or "hr" or "hrs" or "hour" or "hours" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
        }

        return true;
    }
}
