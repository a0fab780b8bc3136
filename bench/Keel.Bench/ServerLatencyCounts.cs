using System.Globalization;
using System.Text.RegularExpressions;

namespace Keel.Bench;

/// <summary>
/// How many attempts and commits the Keel server itself saw take longer than a bound, from two
/// scrapes of its <c>/metrics</c> (histogram buckets, summed over labels): it tells a slow request
/// seen by the load generator that was slow inside the server (a commit, an attempt at the endpoint)
/// from one that was slow outside it (the load generator, the kernel, the network stack).
/// </summary>
internal sealed partial class ServerLatencyCounts
{
    public const string Attempts = "keel_attempt_duration_seconds";
    public const string Commits = "keel_partition_commit_duration_seconds";

    private readonly string _text;

    private ServerLatencyCounts(string text) => _text = text;

    public static async Task<ServerLatencyCounts> ScrapeAsync(Uri adminUrl)
    {
        using var http = new HttpClient { BaseAddress = adminUrl, Timeout = TimeSpan.FromSeconds(30) };
        return new ServerLatencyCounts(await http.GetStringAsync("/metrics"));
    }

    /// <summary>Observations of <paramref name="histogram"/> above <paramref name="boundSeconds"/> (a bucket bound the server exports).</summary>
    public double Above(string histogram, string boundSeconds) => Bucket(histogram, "+Inf") - Bucket(histogram, boundSeconds);

    private double Bucket(string histogram, string le)
    {
        var sum = 0.0;
        foreach (Match m in BucketLine().Matches(_text))
        {
            if (m.Groups["name"].Value == histogram + "_bucket" && m.Groups["le"].Value == le)
            {
                sum += double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    [GeneratedRegex("""^(?<name>[a-z_]+)\{[^}]*le="(?<le>[^"]+)"[^}]*\} (?<value>[0-9.eE+-]+)""", RegexOptions.Multiline)]
    private static partial Regex BucketLine();
}
