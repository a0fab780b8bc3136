using System.Runtime.CompilerServices;
using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Invoker;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keel.Server.Tests.Invoker;

/// <summary>The invoker's bounds: waiting attempts hold no journal, and a partition that is behind holds the SDK's stream.</summary>
public sealed class HttpInvokerTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly RecordingSink _sink = new();
    private FakeDeployment? _deployment;

    [Fact]
    public async Task An_attempt_waiting_for_a_slot_holds_no_journal_and_reads_it_again_when_its_turn_comes()
    {
        var (deployment, invoker, holderReleased) = await StartHolderAsync();
        using var disposeInvoker = invoker;

        var reloads = 0;
        var reloaded = Entry("read again");
        var journalHeldWhileWaiting = StartWaiting(invoker, _ =>
        {
            Interlocked.Increment(ref reloads);
            return Task.FromResult<AttemptInputs?>(new AttemptInputs([reloaded], null));
        });

        // The partition's copy of the journal is gone once Start returned: the waiting attempt kept none.
        await WaitUntil(() => invoker.Backlog == 1, "the second attempt did not wait for the slot");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.False(journalHeldWhileWaiting.IsAlive, "a waiting attempt still holds the journal it was started with");
        Assert.Equal(0, Volatile.Read(ref reloads));

        holderReleased.SetResult();
        await WaitUntil(() => deployment.Replays.ContainsKey(Waiting.ToString()), "the waiting attempt never ran");
        var (start, journal) = deployment.Replays[Waiting.ToString()];
        Assert.Equal(1, Volatile.Read(ref reloads));
        Assert.Equal(1u, start.KnownEntries);
        Assert.Equal(reloaded.Payload.ToArray(), journal.Single().Payload.ToArray());
    }

    [Fact]
    public async Task A_waiting_attempt_that_is_no_longer_current_ends_without_running_and_frees_its_slot()
    {
        var (deployment, invoker, holderReleased) = await StartHolderAsync();
        using var disposeInvoker = invoker;
        StartWaiting(invoker, _ => Task.FromResult<AttemptInputs?>(null));
        await WaitUntil(() => invoker.Backlog == 1, "the second attempt did not wait for the slot");

        holderReleased.SetResult();
        var third = InvocationId.New(7);
        invoker.Start(Request(third, Entry("third")));
        await WaitUntil(() => deployment.Replays.ContainsKey(third.ToString()), "the stale attempt kept its slot");
        Assert.False(deployment.Replays.ContainsKey(Waiting.ToString()));
        Assert.DoesNotContain(_sink.Effects, e => e.Id == Waiting);
    }

    [Fact]
    public async Task While_the_partition_has_no_room_the_attempt_stops_reading_and_the_deployment_is_held()
    {
        const int Commands = 20_000;
        var deployment = _deployment = await FakeDeployment.StartAsync();
        var written = 0;
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var payload = new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("k"), Value = new Value { Content = ByteString.CopyFrom(new byte[1024]) } };
        deployment.Respond = async (_, body, ct) =>
        {
            for (var i = 0; i < Commands; i++)
            {
                await body.WriteAsync(MessageCodec.Encode(payload), ct);
                await body.FlushAsync(ct);
                Interlocked.Increment(ref written);
            }

            await body.WriteAsync(MessageCodec.Encode(new EndMessage()), ct);
            finished.SetResult();
        };
        _sink.RoomAfter = 100;
        using var invoker = new HttpInvoker(TimeProvider.System, NullLogger<HttpInvoker>.Instance) { Sink = _sink };
        invoker.Start(Request(Holder, Entry("input")));

        await _sink.Waiting.Task.WaitAsync(Patience);
        var heldAt = _sink.Effects.Count;
        Assert.InRange(heldAt, 100, 100 + 16);
        Assert.False(finished.Task.IsCompleted, "the deployment wrote everything although nobody read it");
        Assert.True(Volatile.Read(ref written) < Commands);

        _sink.OpenRoom();
        await finished.Task.WaitAsync(Patience);
        await WaitUntil(() => _sink.Effects.Any(e => e is InvokerEffect.Ended), "the attempt did not end");
        var commands = _sink.Effects.OfType<InvokerEffect.Command>().ToList();
        Assert.Equal(Commands, commands.Count);
        Assert.Equal(Enumerable.Range(1, Commands).Select(i => (uint)i), commands.Select(c => c.CommandIndex));
    }

    /// <summary>An invoker with one slot, taken by an attempt the deployment holds open until the returned source is set.</summary>
    private async Task<(FakeDeployment Deployment, HttpInvoker Invoker, TaskCompletionSource HolderReleased)> StartHolderAsync()
    {
        var deployment = _deployment = await FakeDeployment.StartAsync();
        var holderReleased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        deployment.Respond = async (start, body, ct) =>
        {
            if (start.DebugId == Holder.ToString())
            {
                await holderReleased.Task.WaitAsync(ct);
            }

            await body.WriteAsync(MessageCodec.Encode(new EndMessage()), ct);
        };
        var invoker = new HttpInvoker(TimeProvider.System, NullLogger<HttpInvoker>.Instance, concurrencyLimit: 1) { Sink = _sink };
        invoker.Start(Request(Holder, Entry("holder")));
        await WaitUntil(() => deployment.Replays.ContainsKey(Holder.ToString()), "the holder's attempt did not start");
        return (deployment, invoker, holderReleased);
    }

    private static readonly InvocationId Holder = InvocationId.New(3);
    private static readonly InvocationId Waiting = InvocationId.New(5);

    /// <summary>Starts the waiting attempt from a frame of its own, and returns a weak reference to its journal's payload.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference StartWaiting(HttpInvoker invoker, Func<CancellationToken, Task<AttemptInputs?>> reload)
    {
        var payload = new byte[64 * 1024];
        var request = Request(Waiting, new JournalEntry(MessageType.InputCommand, payload)) with { Reload = reload };
        invoker.Start(request);
        return new WeakReference(payload);
    }

    private InvokeRequest Request(InvocationId id, JournalEntry input) => _deployment!.Request(id, input);

    private static JournalEntry Entry(string text) =>
        new(MessageType.InputCommand, new InputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8(text) } }.ToByteArray());

    private static async Task WaitUntil(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_deployment is not null)
        {
            await _deployment.DisposeAsync();
        }
    }
}
