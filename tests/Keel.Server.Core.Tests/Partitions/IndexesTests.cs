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
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private readonly MemoryStore _store = new();
    private readonly StateMachine _machine = new(new FakeSchema(), new RuntimeOptions { DataDirectory = "unused", Partitions = 1, CompletionRetention = TimeSpan.FromHours(1) });

    private ApplyResult Apply(PartitionCommand command, DateTimeOffset? at = null)
    {
        var tx = new Transaction(_store);
        var result = _machine.Apply(new Tables(tx), command, at ?? Now);
        tx.Commit();
        return result;
    }

    private InvokeRequest Submit(string service, string handler, string? key = null, string? idempotencyKey = null) =>
        Apply(Commands.Submit(new InvocationRequest(service, handler, key, "1"u8.ToArray(), [], idempotencyKey, true))).Actions.OfType<PartitionAction.Invoke>().Single().Request;

    private List<PartitionAction> Effect(InvokeRequest attempt, IMessage command, DateTimeOffset? at = null) =>
        Apply(new PartitionCommand.Effect(new InvokerEffect.Command(attempt.Id, attempt.Attempt, 1, new JournalEntry(MessageCodec.TypeOf(command), command.ToByteArray()), false)), at).Actions;

    private void Finish(InvokeRequest attempt, string output, DateTimeOffset? at = null)
    {
        Effect(attempt, new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8(output) } }, at);
        Apply(new PartitionCommand.Effect(new InvokerEffect.Ended(attempt.Id, attempt.Attempt)), at);
    }

    private int Count(Table table) => _store.Dump().Count(e => e.Table == table);

    [Fact]
    public void Cleanup_forgets_only_expired_invocations_in_chunks_and_asks_for_more()
    {
        var early = Enumerable.Range(0, 5).Select(i => Submit("Greeter", "greet", idempotencyKey: $"ik{i}")).ToList();
        early.ForEach(a => Finish(a, "1"));
        var late = Submit("Greeter", "greet", idempotencyKey: "late");
        Finish(late, "1", Now.AddMinutes(30));
        Assert.Equal(6, Count(Table.Retention));

        var first = Apply(new PartitionCommand.Cleanup(Limit: 3), Now.AddHours(1).AddMinutes(1));
        var more = Assert.Single(first.Actions.OfType<PartitionAction.CleanupMore>());
        var second = Apply(new PartitionCommand.Cleanup(Limit: 3, After: more.After), Now.AddHours(1).AddMinutes(1));
        Assert.Empty(second.Actions.OfType<PartitionAction.CleanupMore>());

        Assert.All(early, a => Assert.Null(new Tables(new Transaction(_store)).GetInvocation(a.Id)));
        Assert.NotNull(new Tables(new Transaction(_store)).GetInvocation(late.Id));
        Assert.Equal(1, Count(Table.Retention));
        Assert.Equal(1, Count(Table.Idempotency));
        Assert.DoesNotContain(_store.Dump(), e => e.Table == Table.Journal);
    }

    [Fact]
    public void Recovery_resumes_exactly_the_running_invocations_from_the_active_index()
    {
        var running = Submit("Greeter", "greet");
        var done = Submit("Greeter", "greet");
        Finish(done, "1");
        var suspended = Submit("Greeter", "greet");
        Apply(new PartitionCommand.Effect(new InvokerEffect.Suspended(suspended.Id, suspended.Attempt, new SuspensionMessageV6 { WaitingSignals = { 17 } }.ToByteArray())));
        Assert.Equal(1, Count(Table.Active));

        var resumed = Apply(new PartitionCommand.Recover()).Actions.OfType<PartitionAction.Invoke>().Select(i => i.Request.Id).ToList();
        Assert.Equal([running.Id], resumed);
    }

    [Fact]
    public void Attach_from_a_handler_waits_for_the_result_and_get_output_answers_at_once()
    {
        var target = Submit("Counter", "add", "k");
        var caller = Submit("Greeter", "greet");

        var output = Effect(caller, new GetInvocationOutputCommandMessage { InvocationId = target.Id.ToString(), ResultCompletionId = 1 });
        var notReady = NotificationTemplate.Parser.ParseFrom(output.OfType<PartitionAction.Push>().Single().Frame.AsSpan(8));
        Assert.Equal(NotificationTemplate.ResultOneofCase.Void, notReady.ResultCase);

        Assert.Empty(Effect(caller, new AttachInvocationCommandMessage { InvocationId = target.Id.ToString(), ResultCompletionId = 2 }).OfType<PartitionAction.Push>());
        Effect(target, new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8("42") } });
        var done = Apply(new PartitionCommand.Effect(new InvokerEffect.Ended(target.Id, target.Attempt))).Actions;
        var pushed = done.OfType<PartitionAction.Push>().Single(p => p.Id == caller.Id);
        Assert.Equal(MessageType.AttachInvocationCompletion, FrameHeader.ReadFrom(pushed.Frame).Type);
        Assert.Equal("42", NotificationTemplate.Parser.ParseFrom(pushed.Frame.AsSpan(8)).Value.Content.ToStringUtf8());

        var unknown = Effect(caller, new AttachInvocationCommandMessage { InvocationId = InvocationId.Deterministic(1, "nobody").ToString(), ResultCompletionId = 3 });
        var notFound = NotificationTemplate.Parser.ParseFrom(unknown.OfType<PartitionAction.Push>().Single().Frame.AsSpan(8));
        Assert.Equal(404u, notFound.Failure.Code);
    }

    [Fact]
    public void Cancel_of_an_inboxed_invocation_removes_exactly_its_inbox_entry()
    {
        Submit("Counter", "add", "k");
        var second = Apply(Commands.Submit(new InvocationRequest("Counter", "add", "k", "1"u8.ToArray(), [], null, true)));
        var third = Apply(Commands.Submit(new InvocationRequest("Counter", "add", "k", "1"u8.ToArray(), [], null, true)));
        Assert.Equal(2, Count(Table.Inbox));
        var secondId = ((SubmitResult)second.Actions.OfType<PartitionAction.Reply>().Single().Value).Id;
        var thirdId = ((SubmitResult)third.Actions.OfType<PartitionAction.Reply>().Single().Value).Id;

        Apply(new PartitionCommand.Cancel(secondId, new object()));
        var left = Assert.Single(_store.Dump(), e => e.Table == Table.Inbox);
        Assert.Equal(thirdId, InvocationId.FromBytes(left.Value));
        Assert.Equal(InvocationPhase.Completed, new Tables(new Transaction(_store)).GetInvocation(secondId)!.Phase);
    }
}
