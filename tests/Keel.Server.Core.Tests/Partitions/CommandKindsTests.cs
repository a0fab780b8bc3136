using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>One command kind per test: the actions it returns and the state it leaves.</summary>
public class CommandKindsTests
{
    private static readonly DateTimeOffset Now = PartitionHarness.Now;
    private readonly PartitionHarness _h = new(new RuntimeOptions { DataDirectory = "unused", Partitions = 1, RetryMaxAttempts = 2 });

    private ApplyResult Apply(PartitionCommand command, DateTimeOffset? at = null) => _h.Apply(command, at);

    private InvokeRequest Submit(string service, string handler, string? key = null) => _h.Submit(service, handler, key);

    private ApplyResult Effect(InvokeRequest attempt, IMessage command) => _h.Effect(attempt, command);

    private InvocationRecord Record(Protocol.Ids.InvocationId id) => _h.Record(id)!;

    private static NotificationTemplate Pushed(ApplyResult result, MessageType type) => PartitionHarness.Pushed(result, type);

    [Fact]
    public void Purge_refuses_a_running_invocation_and_forgets_a_completed_one()
    {
        var attempt = Submit("Greeter", "greet");
        Assert.Equal(ControlStatus.NotCompleted, ((ControlResult)Apply(new PartitionCommand.Purge(attempt.Id, new object())).Actions.OfType<PartitionAction.Reply>().Single().Value).Status);

        Effect(attempt, new OutputCommandMessage { Value = new Value() });
        Apply(new PartitionCommand.Effect(new InvokerEffect.Ended(attempt.Id, attempt.Attempt)));
        var purged = Apply(new PartitionCommand.Purge(attempt.Id, new object()));
        Assert.Equal(ControlStatus.Done, ((ControlResult)purged.Actions.OfType<PartitionAction.Reply>().Single().Value).Status);
        Assert.Contains(purged.Mutations, m => m.Table == Table.Status && m.Value is null);
        Assert.Contains(purged.Mutations, m => m.Table == Table.Retention && m.Value is null);
        Assert.Equal(ControlStatus.NotFound, ((ControlResult)Apply(new PartitionCommand.Purge(attempt.Id, new object())).Actions.OfType<PartitionAction.Reply>().Single().Value).Status);
    }

    [Fact]
    public void A_promise_awaited_before_it_is_completed_wakes_its_listener_and_completes_only_once()
    {
        var run = Submit("Signup", "run", "wf");
        Assert.Empty(Effect(run, new GetPromiseCommandMessage { Key = "p", ResultCompletionId = 1 }).Actions);

        var click = Submit("Signup", "click", "wf");
        var completed = Effect(click, new CompletePromiseCommandMessage { Key = "p", ResultCompletionId = 1, CompletionValue = new Value { Content = ByteString.CopyFromUtf8("yes") } });
        Assert.Equal("yes", Pushed(completed, MessageType.GetPromiseCompletion).Value.Content.ToStringUtf8());
        Assert.Equal(NotificationTemplate.ResultOneofCase.Void, Pushed(completed, MessageType.CompletePromiseCompletion).ResultCase);

        var again = Effect(click, new CompletePromiseCommandMessage { Key = "p", ResultCompletionId = 2, CompletionValue = new Value() });
        Assert.Equal(409u, Pushed(again, MessageType.CompletePromiseCompletion).Failure.Code);
        var peek = Effect(run, new PeekPromiseCommandMessage { Key = "p", ResultCompletionId = 2 });
        Assert.Equal("yes", Pushed(peek, MessageType.PeekPromiseCompletion).Value.Content.ToStringUtf8());
    }

    [Fact]
    public void A_named_signal_sent_by_one_invocation_is_appended_to_another()
    {
        var target = Submit("Greeter", "greet");
        var sender = Submit("Greeter", "greet");
        var sent = Effect(sender, new SendSignalCommandMessage { TargetInvocationId = target.Id.ToString(), Name = "go", Value = new Value { Content = ByteString.CopyFromUtf8("1") } });
        var signal = Pushed(sent, MessageType.SignalNotification);
        Assert.Equal(("go", "1"), (signal.SignalName, signal.Value.Content.ToStringUtf8()));
        Assert.Equal(target.Id, sent.Actions.OfType<PartitionAction.Push>().Single(p => FrameHeader.ReadFrom(p.Frame).Type == MessageType.SignalNotification).Id);
    }

    [Fact]
    public void Lazy_state_is_read_on_demand_and_not_sent_eagerly()
    {
        var first = Submit("Tuned", "slow", "k");
        Assert.Null(first.EagerState);
        Effect(first, new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("a"), Value = new Value { Content = ByteString.CopyFromUtf8("7") } });
        var read = Effect(first, new GetLazyStateCommandMessage { Key = ByteString.CopyFromUtf8("a"), ResultCompletionId = 1 });
        Assert.Equal("7", Pushed(read, MessageType.GetLazyStateCompletion).Value.Content.ToStringUtf8());
        var keys = Effect(first, new GetLazyStateKeysCommandMessage { ResultCompletionId = 2 });
        Assert.Equal(["a"], Pushed(keys, MessageType.GetLazyStateKeysCompletion).StateKeys.Keys.Select(k => k.ToStringUtf8()));
    }

    [Fact]
    public void An_invocation_is_paused_after_its_maximum_attempts_and_nothing_is_scheduled()
    {
        var attempt = Submit("Greeter", "greet");
        var first = Apply(new PartitionCommand.Effect(new InvokerEffect.Failed(attempt.Id, attempt.Attempt, new AttemptFailure(500, "boom"))));
        var retry = Apply(new PartitionCommand.TimerFired(first.Actions.OfType<PartitionAction.ScheduleTimer>().Single().Key)).Actions.OfType<PartitionAction.Invoke>().Single().Request;
        var second = Apply(new PartitionCommand.Effect(new InvokerEffect.Failed(retry.Id, retry.Attempt, new AttemptFailure(500, "boom"))));
        Assert.Empty(second.Actions.OfType<PartitionAction.ScheduleTimer>());
        Assert.Equal("paused after 2 attempts", second.Actions.OfType<PartitionAction.AttemptFailed>().Single().Outcome);
        Assert.Equal(InvocationPhase.Paused, Record(attempt.Id).Phase);
    }

    [Fact]
    public void A_delayed_send_waits_for_its_timer_then_starts()
    {
        var scheduled = Apply(Commands.Submit(new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true, Now.AddMinutes(5))));
        Assert.Empty(scheduled.Actions.OfType<PartitionAction.Invoke>());
        var timer = scheduled.Actions.OfType<PartitionAction.ScheduleTimer>().Single();
        Assert.Equal(Now.AddMinutes(5), timer.At);
        var id = ((SubmitResult)scheduled.Actions.OfType<PartitionAction.Reply>().Single().Value).Id;
        Assert.Equal(InvocationPhase.Scheduled, Record(id).Phase);
        Assert.Single(Apply(new PartitionCommand.TimerFired(timer.Key), Now.AddMinutes(5)).Actions.OfType<PartitionAction.Invoke>());
    }

    [Fact]
    public void Cancel_of_a_running_invocation_appends_the_cancel_signal()
    {
        var attempt = Submit("Greeter", "greet");
        var cancelled = Apply(new PartitionCommand.Cancel(attempt.Id, new object()));
        Assert.Equal(ControlStatus.Appended, ((ControlResult)cancelled.Actions.OfType<PartitionAction.Reply>().Single().Value).Status);
        Assert.Equal(1u, Pushed(cancelled, MessageType.SignalNotification).SignalId);
    }
}
