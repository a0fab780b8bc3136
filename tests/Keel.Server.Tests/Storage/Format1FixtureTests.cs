using System.Text.Json.Nodes;
using Keel.Server.Storage;
using Keel.Server.Storage.Migrations;
using Microsoft.Extensions.Time.Testing;

namespace Keel.Server.Tests.Storage;

/// <summary>
/// A data directory written by the last format-1 build (scripts/make-format1-fixture.sh: created through
/// its ingress, then the server killed with SIGKILL; Fixtures/format1.json says what it holds), opened by
/// today's server: migrated at start, and every record answers as it did, in-flight work included.
/// </summary>
public sealed class Format1FixtureTests : IDisposable
{
    private readonly string _directory = UpgradeHost.Unpack("format1.tar.gz");
    private readonly JsonNode _manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "format1.json")))!;

    [Fact]
    public async Task A_format_1_directory_is_migrated_at_start_and_every_record_keeps_its_meaning()
    {
        // The fixture's clock: a minute after it was made, so the sleep (1 h) and the delayed send (2 h) are still ahead.
        var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(_manifest["createdAtUnixMs"]!.GetValue<long>());
        var clock = new FakeTimeProvider(createdAt.AddMinutes(1));
        await using var host = await UpgradeHost.StartAsync(_directory, clock, MoveServicesTo, Partitions);

        var m = _manifest;
        string Id(string record) => m[record]!["id"]!.GetValue<string>();

        // State, through the object's shared handler and through introspection.
        Assert.Equal(5, (await host.CallAsync("Counter/fixture-state/get", ""))!.GetValue<long>());
        var state = Assert.Single(await host.QueryAsync("SELECT value_utf8 FROM state WHERE service_name = 'Counter' AND service_key = 'fixture-state' AND key = 'counter'"));
        Assert.Equal("5", state!["value_utf8"]!.GetValue<string>());

        // The retained idempotent output answers for its key, without running the handler again.
        var again = await host.CallAsync("Counter/fixture-idem/add", "7", m["idempotent"]!["idempotencyKey"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(m["idempotent"]!["output"], again), again?.ToJsonString());
        Assert.Equal(7, (await host.CallAsync("Counter/fixture-idem/get", ""))!.GetValue<long>());

        // Introspection shows the in-flight invocations: the delayed send still scheduled, the sleeper
        // holding its key, the one queued behind it pending, the workflow waiting on its promise.
        var rows = await host.QueryAsync(
            $"SELECT id, status FROM sys_invocation WHERE id IN ('{Id("delayedSend")}', '{Id("sleeping")}', '{Id("queued")}', '{Id("waitingWorkflow")}')");
        var status = rows.ToDictionary(r => r!["id"]!.GetValue<string>(), r => r!["status"]!.GetValue<string>());
        Assert.Equal("scheduled", status[Id("delayedSend")]);
        Assert.Contains(status[Id("sleeping")], new[] { "running", "suspended" });
        Assert.Equal("pending", status[Id("queued")]);
        Assert.Contains(status[Id("waitingWorkflow")], new[] { "running", "suspended" });
        var due = Assert.Single(await host.QueryAsync($"SELECT scheduled_start_at FROM sys_invocation WHERE id = '{Id("delayedSend")}'"));
        var dueAt = DateTimeOffset.Parse(due!["scheduled_start_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(dueAt - createdAt, TimeSpan.FromHours(2), TimeSpan.FromHours(2).Add(TimeSpan.FromMinutes(1)));

        // The finished workflow's output and its state are kept; the waiting one resumes when its promise is resolved.
        Assert.Equal(m["doneWorkflow"]!["output"]!.GetValue<string>(), (await host.GetAsync("restate/workflow/BlockAndWaitWorkflow/fixture-wf-done/output"))!.GetValue<string>());
        Assert.Equal("waiting-input", (await host.CallAsync("BlockAndWaitWorkflow/fixture-wf-waiting/getState", ""))!.GetValue<string>());
        await host.CallAsync("BlockAndWaitWorkflow/fixture-wf-waiting/unblock", "\"after-upgrade\"");
        Assert.Equal("after-upgrade", (await host.GetAsync("restate/workflow/BlockAndWaitWorkflow/fixture-wf-waiting/attach"))!.GetValue<string>());

        // The sleep's timer fires when due: the sleeper ends, then the queued invocation gets the key.
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal("sleep", (await host.GetAsync($"restate/invocation/{Id("sleeping")}/attach"))!.GetValue<string>());
        Assert.Equal("after-sleep", (await host.GetAsync($"restate/invocation/{Id("queued")}/attach"))!.GetValue<string>());

        // The delayed send runs once, when due.
        Assert.Equal(0, (await host.CallAsync("Counter/fixture-delayed/get", ""))!.GetValue<long>());
        clock.Advance(TimeSpan.FromHours(1));
        await host.GetAsync($"restate/invocation/{Id("delayedSend")}/attach");
        Assert.Equal(3, (await host.CallAsync("Counter/fixture-delayed/get", ""))!.GetValue<long>());
    }

    [Fact]
    public async Task The_migrated_directory_reads_as_the_current_format_and_a_second_start_changes_nothing_in_it()
    {
        await using (var host = await UpgradeHost.StartAsync(_directory, beforeStart: MoveServicesTo, partitions: Partitions))
        {
            Assert.Equal(5, (await host.CallAsync("Counter/fixture-state/get", ""))!.GetValue<long>());
        }

        using var store = RocksDbStore.OpenDataDirectory(_directory);
        Assert.Equal(StorageFormat.Version, StorageUpgrade.DetectFormat(store));
        Assert.Empty(StorageUpgrade.Run(store));
    }

    private int Partitions => _manifest["partitions"]!.GetValue<int>();

    /// <summary>The services now answer elsewhere than when the fixture was made: point its deployment at them.</summary>
    private void MoveServicesTo(Uri url)
    {
        var schema = Path.Combine(_directory, "schema.json");
        File.WriteAllText(schema, File.ReadAllText(schema).Replace(_manifest["servicesUri"]!.GetValue<string>(), url.ToString().TrimEnd('/'), StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
