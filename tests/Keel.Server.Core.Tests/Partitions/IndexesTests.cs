using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>
/// The indexes that keep work independent of how much is stored: retention (cleanup reads only what
/// expired, in chunks), active invocations (recovery reads only those), attach and get-output.
/// </summary>
public class IndexesTests
{
    private static readonly DateTimeOffset Now = PartitionHarness.Now;
    private readonly PartitionHarness _h = new(new RuntimeOptions { DataDirectory = "unused", Partitions = 1, CompletionRetention = TimeSpan.FromHours(1) });

    [Fact]
    public void Cleanup_forgets_only_expired_invocations_in_chunks_and_asks_for_more()
    {
        var early = Enumerable.Range(0, 5).Select(i => _h.Submit("Greeter", "greet", idempotencyKey: $"ik{i}")).ToList();
        early.ForEach(a => _h.Finish(a, "1"));
        var late = _h.Submit("Greeter", "greet", idempotencyKey: "late");
        _h.Finish(late, "1", Now.AddMinutes(30));
        Assert.Equal(6, _h.Count(Table.Retention));

        var first = _h.Apply(new PartitionCommand.Cleanup(Limit: 3), Now.AddHours(1).AddMinutes(1));
        var more = Assert.Single(first.Actions.OfType<PartitionAction.CleanupMore>());
        var second = _h.Apply(new PartitionCommand.Cleanup(Limit: 3, After: more.After), Now.AddHours(1).AddMinutes(1));
        Assert.Empty(second.Actions.OfType<PartitionAction.CleanupMore>());

        Assert.All(early, a => Assert.Null(new Tables(new Transaction(_h.Store)).GetInvocation(a.Id)));
        Assert.NotNull(new Tables(new Transaction(_h.Store)).GetInvocation(late.Id));
        Assert.Equal(1, _h.Count(Table.Retention));
        Assert.Equal(1, _h.Count(Table.Idempotency));
        // Journals are kept as long as their invocation (journal retention capped by the idempotency retention).
        Assert.All(_h.Store.Dump().Where(e => e.Table == Table.Journal), e => Assert.Equal(late.Id, InvocationId.FromBytes(e.Key.AsSpan(0, InvocationId.ByteLength))));
        Assert.Contains(_h.Store.Dump(), e => e.Table == Table.Journal);
    }

    [Fact]
    public void Recovery_resumes_exactly_the_running_invocations_from_the_active_index()
    {
        var running = _h.Submit("Greeter", "greet");
        var done = _h.Submit("Greeter", "greet");
        _h.Finish(done, "1");
        var suspended = _h.Submit("Greeter", "greet");
        _h.Apply(new PartitionCommand.Effect(new InvokerEffect.Suspended(suspended.Id, suspended.Attempt, new SuspensionMessageV6 { WaitingSignals = { 17 } }.ToByteArray())));
        Assert.Equal(1, _h.Count(Table.Active));

        var resumed = _h.Apply(new PartitionCommand.Recover()).Actions.OfType<PartitionAction.Invoke>().Select(i => i.Request.Id).ToList();
        Assert.Equal([running.Id], resumed);
    }

    [Fact]
    public void Attach_from_a_handler_waits_for_the_result_and_get_output_answers_at_once()
    {
        var target = _h.Submit("Counter", "add", "k");
        var caller = _h.Submit("Greeter", "greet");

        var output = _h.Effect(caller, new GetInvocationOutputCommandMessage { InvocationId = target.Id.ToString(), ResultCompletionId = 1 });
        var notReady = PartitionHarness.Pushed(output, MessageType.GetInvocationOutputCompletion);
        Assert.Equal(NotificationTemplate.ResultOneofCase.Void, notReady.ResultCase);

        Assert.Empty(_h.Effect(caller, new AttachInvocationCommandMessage { InvocationId = target.Id.ToString(), ResultCompletionId = 2 }).Actions.OfType<PartitionAction.Push>());
        _h.Effect(target, new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8("42") } });
        var done = _h.Apply(new PartitionCommand.Effect(new InvokerEffect.Ended(target.Id, target.Attempt))).Actions;
        var pushed = done.OfType<PartitionAction.Push>().Single(p => p.Id == caller.Id);
        Assert.Equal(MessageType.AttachInvocationCompletion, FrameHeader.ReadFrom(pushed.Frame).Type);
        Assert.Equal("42", NotificationTemplate.Parser.ParseFrom(pushed.Frame.AsSpan(8)).Value.Content.ToStringUtf8());

        var unknown = _h.Effect(caller, new AttachInvocationCommandMessage { InvocationId = InvocationId.Deterministic(1, "nobody").ToString(), ResultCompletionId = 3 });
        var notFound = PartitionHarness.Pushed(unknown, MessageType.AttachInvocationCompletion);
        Assert.Equal(404u, notFound.Failure.Code);
    }

    [Fact]
    public void Cancel_of_an_inboxed_invocation_removes_exactly_its_inbox_entry()
    {
        _h.Submit("Counter", "add", "k");
        var second = _h.Apply(Commands.Submit(new InvocationRequest("Counter", "add", "k", "1"u8.ToArray(), [], null, true)));
        var third = _h.Apply(Commands.Submit(new InvocationRequest("Counter", "add", "k", "1"u8.ToArray(), [], null, true)));
        Assert.Equal(2, _h.Count(Table.Inbox));
        var secondId = ((SubmitResult)second.Actions.OfType<PartitionAction.Reply>().Single().Value).Id;
        var thirdId = ((SubmitResult)third.Actions.OfType<PartitionAction.Reply>().Single().Value).Id;

        _h.Apply(new PartitionCommand.Cancel(secondId, new object()));
        var left = Assert.Single(_h.Store.Dump(), e => e.Table == Table.Inbox);
        Assert.Equal(thirdId, InvocationId.FromBytes(left.Value));
        Assert.Equal(InvocationPhase.Completed, new Tables(new Transaction(_h.Store)).GetInvocation(secondId)!.Phase);
    }

    [Fact]
    public void An_inbox_seek_starts_after_the_given_sequence()
    {
        var tx = new Transaction(_h.Store);
        var tables = new Tables(tx);
        var ids = Enumerable.Range(0, 3).Select(_ => Commands.IdFor(new InvocationRequest("Counter", "add", "k", "1"u8.ToArray(), [], null, true))).ToList();
        var sequences = ids.Select(id => tables.Enqueue("Counter", "k", id)).ToList();

        Assert.Equal(ids[1], tables.Dequeue("Counter", "k", after: sequences[0]));
        Assert.Equal(ids[0], tables.Dequeue("Counter", "k"));
        Assert.Equal(ids[2], tables.Dequeue("Counter", "k", after: sequences[1]));
        Assert.Null(tables.Dequeue("Counter", "k", after: sequences[2]));
        Assert.Equal(sequences[2], tables.LastInboxSequence());
    }

    [Fact]
    public void A_hot_key_drains_in_arrival_order_across_bursts_and_cancelled_entries()
    {
        var started = new List<InvokeRequest>();
        InvokeRequest? Send(string body)
        {
            var invoke = _h.Actions(Commands.Submit(new InvocationRequest("Counter", "add", "hot", System.Text.Encoding.UTF8.GetBytes(body), [], null, true)))
                .OfType<PartitionAction.Invoke>().SingleOrDefault()?.Request;
            if (invoke is not null)
            {
                started.Add(invoke);
            }

            return invoke;
        }

        void FinishCurrent()
        {
            var next = _h.Finish(started[^1], "ok").Actions.OfType<PartitionAction.Invoke>().SingleOrDefault();
            if (next is not null)
            {
                started.Add(next.Request);
            }
        }

        // Two bursts: each starts on a free lock, queues the rest, and drains; one queued entry of the
        // second burst is cancelled before its turn (a hole in the middle of the inbox).
        foreach (var burst in new[] { "a", "b" })
        {
            Assert.NotNull(Send($"{burst}0"));
            var queued = Enumerable.Range(1, 5).Select(i => (Body: $"{burst}{i}", Started: Send($"{burst}{i}"))).ToList();
            Assert.All(queued, q => Assert.Null(q.Started));
            if (burst == "b")
            {
                var inbox = _h.Store.Dump().Where(e => e.Table == Table.Inbox).Select(e => InvocationId.FromBytes(e.Value)).ToList();
                _h.Apply(new PartitionCommand.Cancel(inbox[2], new PendingRequest(false)));
            }

            for (var i = 0; i < 5; i++)
            {
                FinishCurrent();
            }

            Assert.Equal(0, _h.Count(Table.Inbox));
            FinishCurrent();
        }

        var order = started.Select(s => InputCommandMessage.Parser.ParseFrom(Assert.Single(s.Journal).Payload.Span).Value.Content.ToStringUtf8()).ToList();
        Assert.Equal(["a0", "a1", "a2", "a3", "a4", "a5", "b0", "b1", "b2", "b4", "b5"], order);
    }
}
