using Keel.TestSupport;

namespace Keel.Telemetry.Tests;

/// <summary>The admin port's /metrics, scraped over HTTP and parsed as Prometheus text.</summary>
[Collection(TracedSystem.Collection)]
public sealed class MetricsTests(TracedSystem system)
{
    [Fact]
    public async Task Metrics_count_completed_invocations_and_measure_attempts_and_batches()
    {
        using var ingress = new IngressClient(system.Server.IngressUrl);
        var before = Completed(await ScrapeAsync(), "TraceA");

        Assert.Equal("A>B>C:1", (await ingress.CallAsync("TraceA/start", "1")).Json.GetString());
        Assert.Equal("A>B>C:2", (await ingress.CallAsync("TraceA/start", "2")).Json.GetString());

        // Completions are counted after their batch commits, which may follow the answer by a moment.
        IReadOnlyList<PrometheusSample> samples = [];
        await Eventually.UntilAsync(async () => Completed(samples = await ScrapeAsync(), "TraceA") >= before + 2, TimeSpan.FromSeconds(30), "two more completed TraceA invocations");
        Assert.True(Completed(samples, "TraceC") >= 2);

        Assert.Contains(samples, s => s.Name == "keel_attempt_duration_seconds_bucket" && s.Labels.GetValueOrDefault("keel_outcome") == "ended");
        Assert.Contains(samples, s => s.Name == "keel_attempt_duration_seconds_count" && s.Value > 0);
        Assert.Contains(samples, s => s.Name == "keel_partition_batch_size_count" && s.Value > 0);
        Assert.Contains(samples, s => s.Name == "keel_partition_commit_duration_seconds_sum");

        // Buckets in seconds, fine enough to tell a sync from a 20 ms pause (not the exporter's 0, 5, 10 … defaults).
        var commitBounds = samples.Where(s => s.Name == "keel_partition_commit_duration_seconds_bucket").Select(s => s.Labels["le"]).ToHashSet();
        Assert.Contains("0.001", commitBounds);
        Assert.Contains("0.02", commitBounds);
        var attemptBounds = samples.Where(s => s.Name == "keel_attempt_duration_seconds_bucket").Select(s => s.Labels["le"]).ToHashSet();
        Assert.Contains("0.005", attemptBounds);
        Assert.DoesNotContain("5000", attemptBounds);
        Assert.Contains(samples, s => s.Name == "keel_partition_queue_depth" && s.Labels.ContainsKey("keel_partition"));
    }

    [Fact]
    public async Task Metrics_are_served_on_the_admin_port_only()
    {
        using var http = new HttpClient();
        var admin = await http.GetAsync(new Uri(system.Server.AdminUrl, "metrics"));
        Assert.True(admin.IsSuccessStatusCode);
        var ingress = await http.GetAsync(new Uri(system.Server.IngressUrl, "metrics"));
        Assert.False(ingress.IsSuccessStatusCode);
    }

    private async Task<IReadOnlyList<PrometheusSample>> ScrapeAsync()
    {
        using var http = new HttpClient();
        return PrometheusSample.Parse(await http.GetStringAsync(new Uri(system.Server.AdminUrl, "metrics")));
    }

    private static double Completed(IReadOnlyList<PrometheusSample> samples, string service) => samples
        .Where(s => s.Name == "keel_invocations_total" && s.Labels.GetValueOrDefault("keel_outcome") == "completed" && s.Labels.GetValueOrDefault("keel_service") == service)
        .Sum(s => s.Value);
}
