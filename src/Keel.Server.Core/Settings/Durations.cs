using System.Globalization;
using System.Numerics;

namespace Keel.Server.Ingress;

/// <summary>
/// The one duration syntax of the ingress (<c>?delay=</c>), the admin API and the server settings, as
/// Restate reads and writes durations.
/// <para>
/// Input is either "friendly" — numbers with units from days down to nanoseconds, largest first, each
/// unit at most once, separated by nothing, spaces or ", " (<c>10s</c>, <c>500ms</c>, <c>1m30s</c>,
/// <c>10 min</c>, <c>2days</c>, <c>36h 4m 2s</c>, <c>1 day, 2 hours</c>, <c>1d 02:03:04</c>,
/// <c>1.5h</c>: a fraction only on the last unit, and only for hours or smaller), the bare <c>0</c>,
/// or ISO 8601 (<c>PT10S</c>, <c>P30D</c>, <c>P1DT12H</c>, <c>PT0.5S</c>). A day is always 24 hours and
/// a week 7 days. Months and years (their length varies), negative durations and anything else are
/// refused with a message saying what is wrong.
/// </para>
/// <para>Output is the compact friendly form with days as the largest unit: <c>1d</c>, <c>1m</c>,
/// <c>10m</c>, <c>100ms</c>, <c>1d 12h 4m 2s</c>, <c>0s</c>.</para>
/// </summary>
public static class Durations
{
    private const long TicksPerMicrosecond = 10;

    // Units of the friendly form, largest first; the rank orders them.
    private static readonly (string[] Labels, long Ticks, bool Variable)[] Units =
    [
        (["years", "year", "yrs", "yr", "y"], 0, true),
        (["months", "month", "mos", "mo"], 0, true),
        (["weeks", "week", "wks", "wk", "w"], TimeSpan.TicksPerDay * 7, false),
        (["days", "day", "d"], TimeSpan.TicksPerDay, false),
        (["hours", "hour", "hrs", "hr", "h"], TimeSpan.TicksPerHour, false),
        (["minutes", "minute", "mins", "min", "m"], TimeSpan.TicksPerMinute, false),
        (["seconds", "second", "secs", "sec", "s"], TimeSpan.TicksPerSecond, false),
        (["milliseconds", "millisecond", "millis", "milli", "msecs", "msec", "ms"], TimeSpan.TicksPerMillisecond, false),
        (["microseconds", "microsecond", "micros", "micro", "usecs", "usec", "µsecs", "µsec", "µs", "us"], TicksPerMicrosecond, false),
        (["nanoseconds", "nanosecond", "nanos", "nano", "nsecs", "nsec", "ns"], 0, false),
    ];

    private const int HoursRank = 4;
    private const int NanosRank = 9;

    /// <summary>Parses <paramref name="text"/>; false (and <see cref="TimeSpan.Zero"/>) when it is not a valid duration.</summary>
    public static bool TryParse(string? text, out TimeSpan duration) => TryParse(text, out duration, out _);

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says what is wrong with it.</summary>
    public static bool TryParse(string? text, out TimeSpan duration, out string? error)
    {
        duration = TimeSpan.Zero;
        error = Parse(text, out var ticks);
        if (error is not null)
        {
            error = $"'{text}' is not a valid duration: {error}. Use e.g. 10s, 500ms, 1h 30m, 2d, or ISO 8601 such as PT10S or P30D.";
            return false;
        }

        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">It is not a valid duration; the message says why.</exception>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var duration, out var error) ? duration : throw new FormatException(error);

    /// <summary>The compact friendly form, days being the largest unit: <c>1d 12h 4m 2s</c>, <c>100ms</c>, <c>0s</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        var ticks = duration.Ticks;
        if (ticks == 0)
        {
            return "0s";
        }

        var negative = ticks < 0;
        var magnitude = negative ? -(BigInteger)ticks : ticks;
        var parts = new List<string>(7);
        foreach (var (ticksPerUnit, label) in new (long, string)[]
        {
            (TimeSpan.TicksPerDay, "d"), (TimeSpan.TicksPerHour, "h"), (TimeSpan.TicksPerMinute, "m"), (TimeSpan.TicksPerSecond, "s"),
            (TimeSpan.TicksPerMillisecond, "ms"), (TicksPerMicrosecond, "µs"),
        })
        {
            var count = BigInteger.DivRem(magnitude, ticksPerUnit, out magnitude);
            if (!count.IsZero)
            {
                parts.Add(count.ToString(CultureInfo.InvariantCulture) + label);
            }
        }

        if (!magnitude.IsZero)
        {
            parts.Add((magnitude * 100).ToString(CultureInfo.InvariantCulture) + "ns");
        }

        return string.Join(' ', parts) + (negative ? " ago" : string.Empty);
    }

    /// <summary>Null and the duration in ticks, or why <paramref name="text"/> is not a duration.</summary>
    private static string? Parse(string? text, out BigInteger ticks)
    {
        ticks = BigInteger.Zero;
        var s = text?.Trim() ?? string.Empty;
        if (s.Length == 0)
        {
            return "it is empty";
        }

        if (s == "0")
        {
            return null;
        }

        var negative = false;
        var body = s;
        if (body[0] is '+' or '-')
        {
            negative = body[0] == '-';
            body = body[1..].TrimStart();
            if (body.Length == 0)
            {
                return "expected a number after the sign";
            }
        }

        string? error;
        if (body.Length > 0 && body[0] is 'P' or 'p')
        {
            error = ParseIso(body, out ticks);
        }
        else
        {
            if (!negative && body.EndsWith(" ago", StringComparison.OrdinalIgnoreCase))
            {
                negative = true;
                body = body[..^4].TrimEnd();
            }

            error = ParseFriendly(body, out ticks);
        }

        if (error is not null)
        {
            return error;
        }

        if (negative && !ticks.IsZero)
        {
            return "durations cannot be negative";
        }

        return ticks > TimeSpan.MaxValue.Ticks ? "it is too large" : null;
    }

    private static string? ParseFriendly(string s, out BigInteger ticks)
    {
        ticks = BigInteger.Zero;
        var i = 0;
        var lastRank = -1;
        var sawFraction = false;
        while (i < s.Length)
        {
            if (sawFraction)
            {
                return "only the last unit may have a fraction";
            }

            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == start)
            {
                return lastRank < 0
                    ? "expected a number first, like the 10 in 10s"
                    : $"unexpected '{s[i..]}'";
            }

            var integer = BigInteger.Parse(s.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture);

            // HH:MM:SS[.fffffffff], alone or after days/weeks.
            if (i < s.Length && s[i] == ':')
            {
                if (lastRank >= HoursRank)
                {
                    return "HH:MM:SS may only follow days or weeks";
                }

                var hms = ParseHms(s, start, out var hmsTicks, out i);
                if (hms is not null)
                {
                    return hms;
                }

                ticks += hmsTicks;
                lastRank = NanosRank;
                SkipSeparator(s, ref i);
                continue;
            }

            string? fraction = null;
            if (i + 1 < s.Length && s[i] is '.' or ',' && char.IsAsciiDigit(s[i + 1]))
            {
                var fractionStart = ++i;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }

                fraction = s[fractionStart..i];
                if (fraction.Length > 9)
                {
                    return "a fraction has at most 9 digits";
                }
            }

            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }

            var labelStart = i;
            while (i < s.Length && (char.IsAsciiLetter(s[i]) || s[i] == 'µ'))
            {
                i++;
            }

            var label = s[labelStart..i];
            if (label.Length == 0)
            {
                return $"the number {s[start..labelStart].Trim()} has no unit (d, h, m, s, ms, ...)";
            }

            var rank = Array.FindIndex(Units, u => u.Labels.Contains(label, StringComparer.OrdinalIgnoreCase));
            if (rank < 0)
            {
                return $"unknown unit '{label}' (use days, hours, minutes, seconds, ms, us or ns, or their short forms d, h, m, s)";
            }

            if (Units[rank].Variable)
            {
                if (!integer.IsZero || fraction is not null)
                {
                    return "months and years are not supported because their length varies; use days or smaller, e.g. 30d";
                }
            }

            if (rank <= lastRank)
            {
                return $"units must go from the largest to the smallest, each at most once ('{label}' comes too late)";
            }

            if (fraction is not null && rank < HoursRank)
            {
                return "only hours and smaller units may have a fraction";
            }

            ticks += UnitTicks(integer, fraction, rank);
            lastRank = rank;
            sawFraction = fraction is not null;
            SkipSeparator(s, ref i);
        }

        return null;
    }

    private static void SkipSeparator(string s, ref int i)
    {
        if (i + 1 < s.Length && s[i] == ',' && char.IsWhiteSpace(s[i + 1]))
        {
            i++;
        }

        while (i < s.Length && char.IsWhiteSpace(s[i]))
        {
            i++;
        }
    }

    private static string? ParseHms(string s, int start, out BigInteger ticks, out int end)
    {
        ticks = BigInteger.Zero;
        end = start;
        var numbers = new BigInteger[3];
        for (var part = 0; part < 3; part++)
        {
            if (part > 0)
            {
                if (end >= s.Length || s[end] != ':')
                {
                    return "HH:MM:SS needs hours, minutes and seconds";
                }

                end++;
            }

            var partStart = end;
            while (end < s.Length && char.IsAsciiDigit(s[end]))
            {
                end++;
            }

            if (end == partStart)
            {
                return "HH:MM:SS needs a number in each place";
            }

            numbers[part] = BigInteger.Parse(s.AsSpan(partStart, end - partStart), NumberStyles.None, CultureInfo.InvariantCulture);
        }

        string? fraction = null;
        if (end + 1 < s.Length && s[end] is '.' or ',' && char.IsAsciiDigit(s[end + 1]))
        {
            var fractionStart = ++end;
            while (end < s.Length && char.IsAsciiDigit(s[end]))
            {
                end++;
            }

            fraction = s[fractionStart..end];
            if (fraction.Length > 9)
            {
                return "a fraction has at most 9 digits";
            }
        }

        if (end < s.Length && !char.IsWhiteSpace(s[end]))
        {
            return $"unexpected '{s[end..]}' after HH:MM:SS";
        }

        ticks = (numbers[0] * TimeSpan.TicksPerHour) + (numbers[1] * TimeSpan.TicksPerMinute) + UnitTicks(numbers[2], fraction, rank: 6);
        return null;
    }

    /// <summary>ISO 8601: <c>P[nY][nM][nW][nD][T[nH][nM][nS]]</c>, a fraction only on the last time component.</summary>
    private static string? ParseIso(string s, out BigInteger ticks)
    {
        ticks = BigInteger.Zero;
        var upper = s.ToUpperInvariant();
        var i = 1;
        var inTime = false;
        var components = 0;
        var lastRank = -1;
        var sawFraction = false;
        while (i < upper.Length)
        {
            if (upper[i] == 'T')
            {
                if (inTime)
                {
                    return "ISO 8601 durations have one T at most";
                }

                inTime = true;
                i++;
                if (i == upper.Length)
                {
                    return "ISO 8601 durations need at least one component after T";
                }

                continue;
            }

            if (sawFraction)
            {
                return "only the last ISO 8601 component may have a fraction";
            }

            var start = i;
            while (i < upper.Length && char.IsAsciiDigit(upper[i]))
            {
                i++;
            }

            if (i == start)
            {
                return $"expected a number at '{s[i..]}'";
            }

            var integer = BigInteger.Parse(upper.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture);
            string? fraction = null;
            if (i + 1 < upper.Length && upper[i] is '.' or ',' && char.IsAsciiDigit(upper[i + 1]))
            {
                var fractionStart = ++i;
                while (i < upper.Length && char.IsAsciiDigit(upper[i]))
                {
                    i++;
                }

                fraction = upper[fractionStart..i];
                if (fraction.Length > 9)
                {
                    return "a fraction has at most 9 digits";
                }
            }

            if (i == upper.Length)
            {
                return $"the number {s[start..i]} has no designator (Y, M, W, D, or H, M, S after T)";
            }

            var rank = (inTime, upper[i]) switch
            {
                (false, 'Y') => 0,
                (false, 'M') => 1,
                (false, 'W') => 2,
                (false, 'D') => 3,
                (true, 'H') => 4,
                (true, 'M') => 5,
                (true, 'S') => 6,
                _ => -1,
            };
            if (rank < 0)
            {
                return $"unexpected '{s[i]}' in an ISO 8601 duration";
            }

            i++;
            if (rank <= lastRank)
            {
                return "ISO 8601 components must go from the largest to the smallest";
            }

            if (fraction is not null && rank < HoursRank)
            {
                return "only hours, minutes and seconds may have a fraction";
            }

            if (Units[rank].Variable && (!integer.IsZero || fraction is not null))
            {
                return "months and years are not supported because their length varies; use days or smaller, e.g. P30D";
            }

            ticks += UnitTicks(integer, fraction, rank);
            lastRank = rank;
            sawFraction = fraction is not null;
            components++;
        }

        return components == 0 ? "an ISO 8601 duration needs at least one component, e.g. PT10S" : null;
    }

    private static BigInteger UnitTicks(BigInteger integer, string? fraction, int rank)
    {
        // Counted in nanoseconds (a tick is 100 ns), then truncated to whole ticks.
        BigInteger nanosPerUnit = rank == NanosRank ? 1 : new BigInteger(Units[rank].Ticks) * 100;
        var nanos = integer * nanosPerUnit;
        if (fraction is not null)
        {
            nanos += BigInteger.Parse(fraction, NumberStyles.None, CultureInfo.InvariantCulture) * nanosPerUnit / BigInteger.Pow(10, fraction.Length);
        }

        return nanos / 100;
    }
}
