using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests;

/// <summary>Command in → mutations and actions out; in memory, no sockets, fixed time.</summary>
public class StateMachineTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private readonly MemoryStore _store = new();
    private readonly StateMachine _machine = new(new FakeSchema(), new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });

    private List<PartitionAction> Apply(PartitionCommand command, DateTimeOffset? at = null)
    {
        var tx = new Transaction(_store);
        var actions = _machine.Apply(new Tables(tx), command, at ?? Now).Actions;
        tx.Commit();
        foreach (var followUp in actions.OfType<PartitionAction.FollowUp>().ToList())
        {
            actions.AddRange(Apply(followUp.Command, at));
        }

        return actions;
    }

    private InvokeRequest Submit(string service, string handler, string? key = null, bool send = false)
    {
        var actions = Apply(Commands.Submit(new InvocationRequest(service, handler, key, "1"u8.ToArray(), [], null, send)));
        return actions.OfType<PartitionAction.Invoke>().Single().Request;
    }

    private static JournalEntry Entry(IMessage message) => new(MessageCodec.TypeOf(message), message.ToByteArray());

    private List<PartitionAction> Effect(InvokeRequest attempt, uint index, IMessage command) =>
        Apply(new PartitionCommand.Effect(new InvokerEffect.Command(attempt.Id, attempt.Attempt, index, Entry(command), false)));

    private InvocationRecord Record(InvocationId id) => new Tables(new Transaction(_store)).GetInvocation(id)!;

    [Fact]
    public void Submitted_call_starts_an_attempt_with_the_input_command()
    {
        var attempt = Submit("Greeter", "greet");
        Assert.Equal(1, attempt.Attempt);
        Assert.Equal(ServiceProtocolVersion.V6, attempt.Version);
        Assert.Equal(MessageType.InputCommand, Assert.Single(attempt.Journal).Type);
        Assert.Null(attempt.EagerState);
    }

    [Fact]
    public void Output_then_end_completes_and_answers_waiters()
    {
        var attempt = Submit("Greeter", "greet");
        Effect(attempt, 1, new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8("\"hi\"") } });
        var actions = Apply(new PartitionCommand.Effect(new InvokerEffect.Ended(attempt.Id, attempt.Attempt)));
        var completed = Assert.Single(actions.OfType<PartitionAction.Completed>());
        Assert.Equal("\"hi\"", System.Text.Encoding.UTF8.GetString(((InvocationResult.Success)completed.Result).Value.Span));
        Assert.Equal(InvocationPhase.Completed, Record(attempt.Id).Phase);
    }

    [Fact]
    public void Exclusive_invocations_of_one_key_wait_in_the_inbox_in_arrival_order()
    {
        var first = Submit("Counter", "add", "k");
        var queued = Enumerable.Range(0, 3).Select(_ => Apply(Commands.Submit(
            new InvocationRequest("Counter", "add", "k", ReadOnlyMemory<byte>.Empty, [], null, true)))).ToList();
        Assert.All(queued, actions => Assert.Empty(actions.OfType<PartitionAction.Invoke>()));

        // A shared handler does not wait for the lock.
        Assert.Single(Apply(Commands.Submit(new InvocationRequest("Counter", "get", "k", ReadOnlyMemory<byte>.Empty, [], null, true))).OfType<PartitionAction.Invoke>());

        Effect(first, 1, new OutputCommandMessage { Value = new Value() });
        var next = Apply(new PartitionCommand.Effect(new InvokerEffect.Ended(first.Id, first.Attempt))).OfType<PartitionAction.Invoke>().Single().Request;
        var firstQueuedId = ((SubmitResult)((PartitionAction.Reply)queued[0].Single(a => a is PartitionAction.Reply)).Value).Id;
        Assert.Equal(firstQueuedId, next.Id);
    }

    [Fact]
    public void State_writes_are_stored_and_sent_eagerly_to_the_next_attempt()
    {
        var first = Submit("Counter", "add", "k");
        Effect(first, 1, new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("total"), Value = new Value { Content = ByteString.CopyFromUtf8("5") } });
        Effect(first, 2, new OutputCommandMessage { Value = new Value() });
        Apply(new PartitionCommand.Effect(new InvokerEffect.Ended(first.Id, first.Attempt)));
        var second = Submit("Counter", "add", "k");
        var state = Assert.Single(second.EagerState!);
        Assert.Equal(("total", "5"), (System.Text.Encoding.UTF8.GetString(state.Key), System.Text.Encoding.UTF8.GetString(state.Value)));
    }

    [Fact]
    public void Sleep_sets_a_durable_timer_whose_firing_appends_the_completion()
    {
        var attempt = Submit("Greeter", "greet");
        var actions = Effect(attempt, 1, new SleepCommandMessage { WakeUpTime = (ulong)Now.AddSeconds(5).ToUnixTimeMilliseconds(), ResultCompletionId = 1 });
        var timer = Assert.Single(actions.OfType<PartitionAction.ScheduleTimer>());
        Assert.Equal(Now.AddSeconds(5), timer.At);
        var fired = Apply(new PartitionCommand.TimerFired(timer.Key), Now.AddSeconds(5));
        var push = Assert.Single(fired.OfType<PartitionAction.Push>());
        Assert.Equal(MessageType.SleepCompletion, FrameHeader.ReadFrom(push.Frame).Type);
        Assert.Empty(Apply(new PartitionCommand.TimerFired(timer.Key)));
    }

    [Fact]
    public void Suspended_invocation_resumes_when_its_awaited_notification_arrives()
    {
        var attempt = Submit("Greeter", "greet");
        var timer = Effect(attempt, 1, new SleepCommandMessage { WakeUpTime = 1, ResultCompletionId = 1 }).OfType<PartitionAction.ScheduleTimer>().Single();
        var suspension = new SuspensionMessageV6 { WaitingCompletions = { 1 }, WaitingSignals = { 1 } };
        Apply(new PartitionCommand.Effect(new InvokerEffect.Suspended(attempt.Id, attempt.Attempt, suspension.ToByteArray())));
        Assert.Equal(InvocationPhase.Suspended, Record(attempt.Id).Phase);

        var resumed = Apply(new PartitionCommand.TimerFired(timer.Key)).OfType<PartitionAction.Invoke>().Single().Request;
        Assert.Equal(2, resumed.Attempt);
        Assert.Equal([MessageType.InputCommand, MessageType.SleepCommand, MessageType.SleepCompletion], resumed.Journal.Select(e => e.Type));
    }

    [Fact]
    public void Call_creates_the_child_answers_its_id_at_once_and_its_result_later()
    {
        var caller = Submit("Greeter", "greet");
        var actions = Effect(caller, 1, new CallCommandMessage { ServiceName = "Counter", HandlerName = "add", Key = "k", InvocationIdNotificationIdx = 1, ResultCompletionId = 2 });
        var child = actions.OfType<PartitionAction.Invoke>().Single().Request;
        var idPush = actions.OfType<PartitionAction.Push>().Single();
        Assert.Equal(child.Id.ToString(), NotificationTemplate.Parser.ParseFrom(idPush.Frame.AsSpan(8)).InvocationId);

        Effect(child, 1, new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8("7") } });
        var done = Apply(new PartitionCommand.Effect(new InvokerEffect.Ended(child.Id, child.Attempt)));
        var resultPush = done.OfType<PartitionAction.Push>().Single(p => p.Id == caller.Id);
        Assert.Equal(MessageType.CallCompletion, FrameHeader.ReadFrom(resultPush.Frame).Type);
    }

    [Fact]
    public void Failed_attempt_backs_off_exponentially_honouring_the_sdk_delay()
    {
        var attempt = Submit("Greeter", "greet");
        var actions = Apply(new PartitionCommand.Effect(new InvokerEffect.Failed(attempt.Id, attempt.Attempt, new AttemptFailure(500, "boom"))));
        Assert.Single(actions.OfType<PartitionAction.Abort>());
        Assert.Equal(Now.AddMilliseconds(500), actions.OfType<PartitionAction.ScheduleTimer>().Single().At);
        var retry = Apply(new PartitionCommand.TimerFired(actions.OfType<PartitionAction.ScheduleTimer>().Single().Key)).OfType<PartitionAction.Invoke>().Single().Request;
        Assert.Equal(1u, retry.RetryCountSinceLastStoredEntry);

        var second = Apply(new PartitionCommand.Effect(new InvokerEffect.Failed(retry.Id, retry.Attempt, new AttemptFailure(500, "boom", NextRetryDelay: TimeSpan.FromSeconds(3)))));
        Assert.Equal(Now.AddSeconds(3), second.OfType<PartitionAction.ScheduleTimer>().Single().At);
    }

    [Fact]
    public void Workflow_run_is_accepted_once_per_id()
    {
        var first = Apply(Commands.Submit(new InvocationRequest("Signup", "run", "wf-1", ReadOnlyMemory<byte>.Empty, [], null, true)));
        var again = Apply(Commands.Submit(new InvocationRequest("Signup", "run", "wf-1", ReadOnlyMemory<byte>.Empty, [], null, true)));
        var a = (SubmitResult)first.OfType<PartitionAction.Reply>().Single().Value;
        var b = (SubmitResult)again.OfType<PartitionAction.Reply>().Single().Value;
        Assert.Equal((SubmitStatus.Accepted, SubmitStatus.PreviouslyAccepted), (a.Status, b.Status));
        Assert.Equal(a.Id, b.Id);
        Assert.Empty(again.OfType<PartitionAction.Invoke>());
    }

    [Fact]
    public void Kill_ends_the_invocation_releases_the_lock_and_starts_the_next()
    {
        var first = Submit("Counter", "add", "k");
        Apply(Commands.Submit(new InvocationRequest("Counter", "add", "k", ReadOnlyMemory<byte>.Empty, [], null, true)));
        var actions = Apply(new PartitionCommand.Kill(first.Id, new object()));
        Assert.Equal(ControlStatus.Done, ((ControlResult)actions.OfType<PartitionAction.Reply>().Single().Value).Status);
        Assert.Single(actions.OfType<PartitionAction.Abort>());
        Assert.Equal(409, ((InvocationResult.Failure)actions.OfType<PartitionAction.Completed>().Single().Result).Code);
        Assert.Single(actions.OfType<PartitionAction.Invoke>());
    }

    [Fact]
    public void Completed_workflow_is_kept_for_its_retention_then_forgotten()
    {
        var run = Submit("Signup", "run", "wf-2", send: true);
        Effect(run, 1, new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("email"), Value = new Value { Content = ByteString.CopyFromUtf8("\"a@b\"") } });
        Effect(run, 2, new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8("\"done\"") } });
        Apply(new PartitionCommand.Effect(new InvokerEffect.Ended(run.Id, run.Attempt)));

        Apply(new PartitionCommand.Cleanup(), Now.AddHours(23));
        var within = Apply(Commands.Submit(new InvocationRequest("Signup", "run", "wf-2", ReadOnlyMemory<byte>.Empty, [], null, true)));
        Assert.Equal(SubmitStatus.PreviouslyAccepted, ((SubmitResult)within.OfType<PartitionAction.Reply>().Single().Value).Status);

        Assert.Single(new Tables(new Transaction(_store)).AllState("Signup", "wf-2"));

        Apply(new PartitionCommand.Cleanup(), Now.AddHours(25));
        Assert.Null(new Tables(new Transaction(_store)).GetInvocation(run.Id));
        Assert.Empty(new Tables(new Transaction(_store)).AllState("Signup", "wf-2"));
        var after = Apply(Commands.Submit(new InvocationRequest("Signup", "run", "wf-2", ReadOnlyMemory<byte>.Empty, [], null, true)));
        Assert.Equal(SubmitStatus.Accepted, ((SubmitResult)after.OfType<PartitionAction.Reply>().Single().Value).Status);
    }

    [Fact]
    public void Second_idempotent_call_while_the_first_runs_gets_the_same_result()
    {
        var callerA = Submit("Greeter", "greet");
        var callerB = Submit("Greeter", "greet");
        var call = new CallCommandMessage { ServiceName = "Greeter", HandlerName = "greet", IdempotencyKey = "same", InvocationIdNotificationIdx = 1, ResultCompletionId = 2 };
        var child = Effect(callerA, 1, call).OfType<PartitionAction.Invoke>().Single().Request;
        var secondStart = Effect(callerB, 1, call);
        Assert.Empty(secondStart.OfType<PartitionAction.Invoke>());
        Assert.Equal(child.Id.ToString(), NotificationTemplate.Parser.ParseFrom(secondStart.OfType<PartitionAction.Push>().Single().Frame.AsSpan(8)).InvocationId);

        Effect(child, 1, new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8("1") } });
        var done = Apply(new PartitionCommand.Effect(new InvokerEffect.Ended(child.Id, child.Attempt)));
        var notified = done.OfType<PartitionAction.Push>().Select(p => p.Id).ToHashSet();
        Assert.True(notified.SetEquals([callerA.Id, callerB.Id]), "both callers get the result");
        Assert.All(done.OfType<PartitionAction.Push>(), p => Assert.Equal(MessageType.CallCompletion, FrameHeader.ReadFrom(p.Frame).Type));
    }

    [Fact]
    public void Commands_breaking_preconditions_fail_the_attempt_and_are_not_journaled()
    {
        var service = Submit("Greeter", "greet");
        var write = Effect(service, 1, new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("a"), Value = new Value() });
        Assert.Single(write.OfType<PartitionAction.Abort>());
        Assert.Equal(InvocationPhase.BackingOff, Record(service.Id).Phase);
        Assert.Equal(1u, Record(service.Id).JournalLength);

        var shared = Submit("Counter", "get", "k");
        Effect(shared, 1, new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("a"), Value = new Value() });
        Assert.Contains("shared", Record(shared.Id).LastFailure!.Message, StringComparison.Ordinal);

        var unknown = Submit("Greeter", "greet");
        Effect(unknown, 1, new CallCommandMessage { ServiceName = "Nope", HandlerName = "x", InvocationIdNotificationIdx = 1, ResultCompletionId = 2 });
        Assert.Contains("No handler Nope/x", Record(unknown.Id).LastFailure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Handler_and_service_settings_override_the_server_timeouts_and_eager_state()
    {
        var attempt = Submit("Tuned", "slow", "k");
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1)), (attempt.InactivityTimeout, attempt.AbortTimeout));
        Assert.Null(attempt.EagerState);
        var defaults = Submit("Counter", "add", "k");
        Assert.Equal((TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(10)), (defaults.InactivityTimeout, defaults.AbortTimeout));

        // A request-response deployment cannot be asked to suspend: by default only the abort timeout bounds it.
        var requestResponse = Submit("Batch", "run");
        Assert.Equal((TimeSpan.Zero, TimeSpan.FromMinutes(10)), (requestResponse.InactivityTimeout, requestResponse.AbortTimeout));
    }
}
