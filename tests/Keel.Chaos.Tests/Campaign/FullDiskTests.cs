using System.Text.Json;
using Keel.Chaos.Campaign;
using Keel.Chaos.Disk;
using Keel.Chaos.History;
using Keel.Chaos.Workloads;
using Keel.TestSupport;
using Xunit.Abstractions;

namespace Keel.Chaos.Tests.Campaign;

/// <summary>
/// A real full disk under the server: its database directory is a 512 MiB tmpfs, filled with a ballast file, then
/// large writes keep coming. The server must say so loudly (its log names the full disk), answer every request
/// (5xx or a refused connection once it stopped, never a hang), and after the ballast is deleted and it restarts,
/// hold everything it acknowledged.
/// </summary>
[Collection(CampaignCollection.Name)]
public sealed class FullDiskTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_full_disk_is_reported_answered_without_hanging_and_loses_nothing_acknowledged()
    {
        var directory = Directory.CreateTempSubdirectory("keel-chaos-full-disk-").FullName;
        try
        {
            var data = Path.Combine(directory, "data");
            // Big enough that the space freed by the ballast lets the store recover: each append is kept about three
            // times (input, journal, state), and a restart replays the write-ahead log and opens a new one beside it.
            // At 64 MiB, one run in a few filled up again right after the restart and answered "No space left".
            var (disk, refusal) = await TmpfsMount.TryMountAsync(Path.Combine(data, "db"), megabytes: 512);
            if (disk is null)
            {
                // Only a machine that forbids mounting (not root) gets here; CI runs as root.
                Assert.False(Environment.UserName == "root", $"running as root, yet {refusal}");
                output.WriteLine($"SKIPPED in effect: this machine refuses to mount a tmpfs ({refusal})");
                return;
            }

            await using (disk)
            {
                await RunAsync(disk, data);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task RunAsync(TmpfsMount disk, string data)
    {
        await using var server = await KeelServerProcess.StartAsync(new KeelServerOptions { DataDirectory = data });
        await using var endpoint = await ChaosEndpointProcess.StartAsync();
        using (var admin = new AdminClient(server.AdminUrl))
        {
            await admin.RegisterDeploymentAsync(endpoint.Url);
        }

        using var caller = new IngressCaller(server.IngressUrl, Deadline);
        var acknowledged = new List<(string Key, string Sender)>();
        for (var i = 0; i < 20; i++)
        {
            Assert.True(await AppendAsync(caller, $"before-{i}", $"small-{i}") is { Kind: OpKind.Ok }, "an append before the disk filled");
            acknowledged.Add(($"before-{i}", $"small-{i}"));
        }

        var ballast = disk.Fill();
        output.WriteLine($"disk filled: {disk.FreeBytes} bytes free");
        var outcomes = new List<CallOutcome>();
        for (var i = 0; i < 400 && !server.HasExited; i++)
        {
            // 128 KiB of random text per append: the write-ahead log needs new blocks soon.
            var sender = $"{i}:{Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(96 * 1024))}";
            var outcome = await AppendAsync(caller, $"full-{i}", sender);
            outcomes.Add(outcome);
            if (outcome.Kind == OpKind.Ok)
            {
                acknowledged.Add(($"full-{i}", sender));
                continue;
            }

            output.WriteLine($"append {i} on the full disk: {outcome.Kind} {outcome.Error}");
            if (outcome.Kind == OpKind.Fail)
            {
                break;
            }
        }

        // Never a hang: every request was answered (a 5xx, or refused once the server had stopped) within its deadline.
        Assert.DoesNotContain(outcomes, o => o.Error?.StartsWith("no answer within", StringComparison.Ordinal) == true);
        Assert.Contains(outcomes, o => o.Kind != OpKind.Ok);
        // Indeterminate answers are 503s, or a connection the stopping server closed under a request that raced its stop
        // (a keep-alive connection cannot tell the client which); never another status.
        Assert.All(outcomes.Where(o => o.Kind == OpKind.Info), o => Assert.Matches("^(HTTP 503|HttpRequestException|IOException)", o.Error));
        // Loudly: the log says the disk is full.
        await Eventually.UntilAsync(() => Task.FromResult(ProcessLogs.Tail(server.LogFile, int.MaxValue).Contains("No space left on device", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the server's log to name the full disk");
        output.WriteLine(ProcessLogs.Tail(server.LogFile, 15));

        File.Delete(ballast);
        await server.KillAsync();
        await server.RestartAsync();
        foreach (var (key, sender) in acknowledged)
        {
            var read = await caller.CallAsync($"/ChaosInbox/{key}/get", null);
            Assert.True(read.Kind == OpKind.Ok, $"reading {key} after the restart: {read.Error}\n{ProcessLogs.Tail(server.LogFile, 60)}\n{disk.FreeBytes} bytes free\n{string.Join("\n", new DirectoryInfo(disk.Path).GetFiles().Select(f => $"{f.Name} {f.Length}"))}");
            var senders = read.Body!.Value.EnumerateArray().Select(m => m.GetProperty("sender").GetString()).ToList();
            Assert.True(senders.SequenceEqual([sender]), $"{key} holds {senders.Count} messages after the restart, not its acknowledged one");
        }

        output.WriteLine($"{acknowledged.Count} acknowledged appends all there after the restart");
    }

    private static Task<CallOutcome> AppendAsync(IngressCaller caller, string key, string sender) =>
        caller.CallAsync($"/ChaosInbox/{key}/append", new { sender, seq = 1 }, idempotencyKey: $"{key}-append");
}
