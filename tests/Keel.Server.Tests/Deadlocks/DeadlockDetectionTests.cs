using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Keel.Sdk.AspNetCore;
using Keel.Server.Hosting;
using Keel.Server.Storage;
using Keel.Server.Tests.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Tests.Deadlocks;

/// <summary>
/// A deadlock on a real server (RocksDB, several partitions, Keel.Sdk services over HTTP/2): HopA/k calls HopB/k
/// (another partition), which calls HopA/k, queued behind the first. The server finds the cycle as it closes: it
/// is on <c>GET /deadlocks</c> (the admin listener only), counted on <c>/metrics</c>, logged as a Warning naming
/// every invocation; cancelling the root unwinds it and the cycle leaves the list.
/// </summary>
public sealed class DeadlockDetectionTests : IAsyncLifetime
{
    private readonly List<string> _warnings = [];
    private WebApplication _endpoint = null!;
    private KeelServerHost _server = null!;
    private HttpClient _admin = null!;
    private HttpClient _ingress = null!;

    public async Task InitializeAsync()
    {
        var port = UpgradeHost.FreePort();
        _endpoint = KeelEndpoint.Build([], IPAddress.Loopback, port, requestResponse: false, k => k.AddService<HopA>().AddService<HopB>());
        await _endpoint.StartAsync();
        var settings = new ServerSettings
        {
            DataDirectory = Directory.CreateTempSubdirectory("keel-deadlock-").FullName,
            IngressPort = UpgradeHost.FreePort(),
            AdminPort = UpgradeHost.FreePort(),
            Partitions = 4,
        };
        _server = await FullServer.StartAsync(settings, new KeelServerHostOptions
        {
            ConfigureLogging = logging => logging.ClearProviders().AddProvider(new WarningCollector(_warnings)),
        });
        _admin = new HttpClient { BaseAddress = _server.AdminUrl, Timeout = TimeSpan.FromSeconds(30) };
        _ingress = new HttpClient { BaseAddress = _server.IngressUrl, Timeout = TimeSpan.FromSeconds(30) };
        using var registered = await _admin.PostAsJsonAsync("/deployments", new { uri = $"http://127.0.0.1:{port}" });
        Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_cycle_across_two_partitions_is_reported_within_a_second_and_gone_once_cancelled()
    {
        // A key whose HopA and HopB objects live in different partitions: the cycle's edges come from both.
        var map = _server.Runtime.Map;
        var key = Enumerable.Range(0, 100).Select(i => $"dl-{i}")
            .First(k => map.PartitionOf(PartitionMap.KeyOf("HopA", k)) != map.PartitionOf(PartitionMap.KeyOf("HopB", k)));

        // The default policy: report only; the cycle stands until an operator breaks it.
        Assert.Equal("report", (string)JsonNode.Parse(await _admin.GetStringAsync("/services/HopB"))!["deadlock"]!);
        var root = await SendAsync($"/HopA/{key}/hop/send", """["HopB","HopA"]""");
        var cycle = await UntilAsync(async () => (await DeadlocksAsync()).SingleOrDefault(), "the deadlock listed on GET /deadlocks");

        var members = cycle!["invocations"]!.AsArray().Select(m => (Id: (string)m!["id"]!, Target: (string)m["target"]!, WaitsOn: (string)m["waits_on"]!)).ToList();
        Assert.Equal(3, members.Count);
        Assert.Contains((root, $"HopA/{key}/hop", "call"), members);
        Assert.Contains(members, m => m.Target == $"HopB/{key}/hop" && m.WaitsOn == "call");
        var queued = Assert.Single(members, m => m.Target == $"HopA/{key}/hop" && m.WaitsOn == "lock");

        // Within a second of the edge that closed it (server times): the inner call's journal entry and the queueing.
        var detectedAt = DateTimeOffset.Parse((string)cycle["detected_at"]!, CultureInfo.InvariantCulture);
        var inner = members.Single(m => m.Target == $"HopB/{key}/hop").Id;
        var callAt = (await QueryAsync($"SELECT appended_at FROM sys_journal WHERE id = '{inner}' AND entry_type = 'Command: Call'")).Single();
        var inboxedAt = (await QueryAsync($"SELECT inboxed_at FROM sys_invocation WHERE id = '{queued.Id}'")).Single();
        var closedAt = new[] { callAt, inboxedAt }.Max();
        Assert.InRange(detectedAt - closedAt, TimeSpan.FromMilliseconds(-5), TimeSpan.FromSeconds(1));

        Assert.Contains(Warnings(), w => w.Contains("Deadlock", StringComparison.Ordinal) && members.All(m => w.Contains(m.Id, StringComparison.Ordinal))
            && w.Contains($"HopB/{key}/hop", StringComparison.Ordinal));
        var metrics = await _admin.GetStringAsync("/metrics");
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("keel_deadlocks_detected_total", StringComparison.Ordinal) && !l.EndsWith(" 0", StringComparison.Ordinal));

        // An admin route: the ingress listener does not serve it.
        using (var onIngress = await _ingress.GetAsync("/deadlocks"))
        {
            Assert.Equal(HttpStatusCode.NotFound, onIngress.StatusCode);
        }

        using (var cancelled = await _admin.PatchAsync($"/invocations/{root}/cancel", null))
        {
            Assert.True(cancelled.IsSuccessStatusCode, await cancelled.Content.ReadAsStringAsync());
        }

        await UntilAsync(async () => (await DeadlocksAsync()).Count == 0, "the broken cycle leaves GET /deadlocks");
        Assert.Equal("\"HopA pong\"", await CallAsync($"/HopA/{key}/ping"));
        Assert.Equal("\"HopB pong\"", await CallAsync($"/HopB/{key}/ping"));
    }

    [Fact]
    public async Task Keel_deadlocks_lists_the_cycles_members_over_sql_until_it_is_broken()
    {
        var root = await SendAsync("/HopA/sql/hop/send", """["HopB","HopA"]""");
        var cycle = await UntilAsync(async () => (await DeadlocksAsync()).SingleOrDefault(), "the deadlock listed on GET /deadlocks");
        var listed = cycle!["invocations"]!.AsArray().Select(m => (Id: (string)m!["id"]!, Target: (string)m["target"]!, WaitsOn: (string)m["waits_on"]!)).ToList();

        var rows = await RowsAsync("SELECT * FROM keel_deadlocks ORDER BY position");
        Assert.Equal(listed, rows.Select(r => ((string)r["id"]!, (string)r["target"]!, (string)r["waits_on"]!)));
        Assert.Equal([0, 1, 2], rows.Select(r => (int)r["position"]!));
        Assert.All(rows, r => Assert.Equal(1, (int)r["cycle"]!));
        Assert.All(rows, r => Assert.Equal(DateTimeOffset.Parse((string)cycle["detected_at"]!, CultureInfo.InvariantCulture), DateTimeOffset.Parse((string)r["detected_at"]!, CultureInfo.InvariantCulture)));
        Assert.All(rows, r => Assert.Equal(("sql", "hop"), ((string)r["target_service_key"]!, (string)r["target_handler_name"]!)));
        Assert.Equal(["HopA", "HopA", "HopB"], rows.Select(r => (string)r["target_service_name"]!).Order());

        // Joinable with the store's tables: every member is a running (or queued) invocation.
        var statuses = await RowsAsync("SELECT i.status FROM keel_deadlocks d JOIN sys_invocation i ON i.id = d.id");
        Assert.Equal(3, statuses.Count);

        using (var cancelled = await _admin.PatchAsync($"/invocations/{root}/cancel", null))
        {
            Assert.True(cancelled.IsSuccessStatusCode, await cancelled.Content.ReadAsStringAsync());
        }

        await UntilAsync(async () => (await RowsAsync("SELECT id FROM keel_deadlocks")).Count == 0, "keel_deadlocks empty once the cycle is broken");
    }

    [Fact]
    public async Task Under_the_fail_policy_the_queued_call_fails_at_once_and_the_ingress_caller_hears_of_the_deadlock()
    {
        using (var patched = await _admin.PatchAsync("/services/HopB", JsonContent.Create(new { deadlock = "fail" })))
        {
            Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync());
        }

        // HopA/f → HopB/f → HopA/f (queued behind the first): HopB's policy applies to the whole cycle. The queued
        // HopA/f fails with 409, HopB's call throws it (uncaught), so does HopA's: the ingress call fails with it.
        using var response = await _ingress.PostAsync("/HopA/f/hop", new StringContent("""["HopB","HopA"]""", System.Text.Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.False(response.IsSuccessStatusCode, body);
        var message = (string)JsonNode.Parse(body)!["message"]!;
        Assert.StartsWith("deadlock: ", message, StringComparison.Ordinal);
        Assert.Contains("HopA/f/hop", message, StringComparison.Ordinal);
        Assert.Contains("HopB/f/hop", message, StringComparison.Ordinal);
        Assert.Contains(Warnings(), w => w.StartsWith("Deadlock policy fail: failing the queued call", StringComparison.Ordinal));

        // Broken, not just answered: no cycle is left and both keys serve again.
        await UntilAsync(async () => (await DeadlocksAsync()).Count == 0, "the broken cycle leaves GET /deadlocks");
        Assert.Equal("\"HopA pong\"", await CallAsync("/HopA/f/ping"));
        Assert.Equal("\"HopB pong\"", await CallAsync("/HopB/f/ping"));
    }

    [Fact]
    public async Task A_long_acyclic_chain_of_keys_is_no_deadlock()
    {
        // HopA/c1 → HopB/c1 → HopA/c2 → … → HopB/c3 answers: a chain of calls over keys, none queued behind a waiting holder.
        var answer = await CallAsync("/HopA/c1/hop", """["HopB","HopA/c2","HopB/c2","HopA/c3","HopB/c3"]""");
        Assert.Equal("\"HopB reached\"", answer);
        Assert.Empty(await DeadlocksAsync());
    }

    [Fact]
    public async Task Chains_standing_behind_a_slow_holder_or_a_retrying_then_paused_one_are_no_deadlock()
    {
        // A slow holder (sleeping a minute on HopA/slow) and one failing over and over on HopB/retry, both keeping their key.
        await SendAsync("/HopA/slow/hold/send", "60000");
        var failing = await SendAsync("/HopB/retry/fail/send", "\"to keep the key\"");

        // A chain of 20 keys, each holding its own and calling the next, ending queued behind the slow holder; and a
        // call queued behind the retrying one.
        var path = string.Join(",", Enumerable.Range(2, 19).Select(i => $"\"{(i % 2 == 0 ? "HopA" : "HopB")}/s{i}\"").Append("\"HopA/slow\""));
        await SendAsync("/HopB/s1/hop/send", $"[{path}]");
        await SendAsync("/HopA/r/hop/send", """["HopB/retry"]""");

        // Every wait told: 20 callers, the slow holder and its queued call, the retrying holder, its queued call and its caller.
        var waits = _server.Runtime.Waits;
        await UntilAsync(() => Task.FromResult(waits.Size == 25), "the graph to hold the chain and both queues");
        await UntilAsync(async () => (int)(await RowsAsync($"SELECT retry_count FROM sys_invocation WHERE id = '{failing}'")).Single()["retry_count"]! >= 2,
            "the failing holder to have been retried");
        Assert.Empty(waits.Cycles);

        using (var paused = await _admin.PatchAsync($"/invocations/{failing}/pause", null))
        {
            Assert.True(paused.IsSuccessStatusCode, await paused.Content.ReadAsStringAsync());
        }

        await UntilAsync(async () => (await RowsAsync($"SELECT status FROM sys_invocation WHERE id = '{failing}'")).Single()["status"]!.ToString() == "paused",
            "the failing holder to be paused");
        Assert.Equal(25, waits.Size);
        Assert.Empty(await DeadlocksAsync());
        Assert.DoesNotContain(Warnings(), w => w.StartsWith("Deadlock:", StringComparison.Ordinal));
    }

    private List<string> Warnings()
    {
        lock (_warnings)
        {
            return [.. _warnings];
        }
    }

    /// <summary>Polls until <paramref name="probe"/> gives a value (not null, not false), for at most 30 s.</summary>
    private static async Task<T> UntilAsync<T>(Func<Task<T>> probe, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var value = await probe();
            if (value is not null and not false)
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(20);
        }
    }

    private async Task<List<JsonNode>> DeadlocksAsync()
    {
        var body = JsonNode.Parse(await _admin.GetStringAsync("/deadlocks"))!;
        return [.. body["deadlocks"]!.AsArray().Select(d => d!)];
    }

    private async Task<string> SendAsync(string path, string json)
    {
        using var response = await _ingress.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return (string)JsonNode.Parse(body)!["invocationId"]!;
    }

    private async Task<string> CallAsync(string path, string? json = null)
    {
        using var response = await _ingress.PostAsync(path, json is null ? null : new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return body;
    }

    private async Task<List<DateTimeOffset>> QueryAsync(string sql)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/query") { Content = JsonContent.Create(new { query = sql }) };
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await _admin.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return [.. JsonNode.Parse(body)!["rows"]!.AsArray().Select(r => DateTimeOffset.Parse(r!.AsObject().Single().Value!.ToString(), CultureInfo.InvariantCulture))];
    }

    private async Task<List<JsonObject>> RowsAsync(string sql)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/query") { Content = JsonContent.Create(new { query = sql }) };
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await _admin.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return [.. JsonNode.Parse(body)!["rows"]!.AsArray().Select(r => r!.AsObject())];
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        _ingress.Dispose();
        await _server.DisposeAsync();
        await _endpoint.DisposeAsync();
    }

    /// <summary>Keeps the Warning lines the server logs (formatted), for the test to read.</summary>
    private sealed class WarningCollector(List<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(lines);

        public void Dispose()
        {
        }

        private sealed class Logger(List<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    lock (lines)
                    {
                        lines.Add(formatter(state, exception));
                    }
                }
            }
        }
    }
}
