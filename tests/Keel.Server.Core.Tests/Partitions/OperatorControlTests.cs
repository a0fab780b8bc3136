using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>Pause, resume, restart as new, purge journal, state replacement, and cancel/kill of paused invocations.</summary>
public class OperatorControlTests
{
    private static readonly DateTimeOffset Now = PartitionHarness.Now;
    private readonly PartitionHarness _h = new(new RuntimeOptions { DataDirectory = "unused", Partitions = 1, RetryMaxAttempts = 2 });

    private ControlResult Control(Func<object, PartitionCommand> command, DateTimeOffset? at = null)
    {
        var token = new object();
        var actions = _h.Actions(command(token), at);
        return (ControlResult)actions.OfType<PartitionAction.Reply>().Single(r => r.Token == token).Value;
    }

    private InvokeRequest PausedAfterRetries()
    {
        var attempt = _h.Submit("Greeter", "greet");
        _h.Apply(new PartitionCommand.Effect(new InvokerEffect.Failed(attempt.Id, attempt.Attempt, new AttemptFailure(500, "first"))));
        var retry = _h.Actions(new PartitionCommand.TimerFired(_h.Store.Dump().Single(e => e.Table == Table.Timers).Key), Now.AddMinutes(1))
            .OfType<PartitionAction.Invoke>().Single().Request;
        _h.Apply(new PartitionCommand.Effect(new InvokerEffect.Failed(retry.Id, retry.Attempt, new AttemptFailure(500, "second", RelatedCommandIndex: 1, RelatedCommandName: "charge"))));
        return retry;
    }

    [Fact]
    public void An_invocation_that_used_up_its_retries_is_paused_with_its_last_failure_and_resumes_with_a_fresh_budget()
    {
        var attempt = PausedAfterRetries();
        var record = _h.Record(attempt.Id)!;
        Assert.Equal(InvocationPhase.Paused, record.Phase);
        Assert.Equal(("second", 1u, "charge"), (record.LastFailure!.Message, record.LastFailure.RelatedCommandIndex, record.LastFailure.RelatedCommandName));

        var resumed = _h.Actions(new PartitionCommand.Resume(attempt.Id, new ResumeDeployment.Keep(), new object()));
        Assert.Equal(attempt.Attempt + 1, resumed.OfType<PartitionAction.Invoke>().Single().Request.Attempt);
        Assert.Equal(0, _h.Record(attempt.Id)!.FailedAttempts);
    }

    [Fact]
    public void Pause_aborts_the_running_attempt_drops_its_late_effects_and_resume_starts_a_new_one()
    {
        var attempt = _h.Submit("Counter", "add", "k");
        var token = new object();
        var actions = _h.Actions(new PartitionCommand.Pause(attempt.Id, token));
        Assert.Contains(actions, a => a is PartitionAction.Abort abort && abort.Id == attempt.Id);
        Assert.Equal(ControlStatus.Appended, ((ControlResult)actions.OfType<PartitionAction.Reply>().Single().Value).Status);
        Assert.Equal(ControlStatus.AlreadyPaused, Control(t => new PartitionCommand.Pause(attempt.Id, t)).Status);

        _h.Finish(attempt, "1");
        Assert.Equal(InvocationPhase.Paused, _h.Record(attempt.Id)!.Phase);
        Assert.Equal(1, _h.Count(Table.Locks));

        Assert.Equal(ControlStatus.Done, Control(t => new PartitionCommand.Resume(attempt.Id, new ResumeDeployment.Keep(), t)).Status);
        Assert.Equal(InvocationPhase.Invoked, _h.Record(attempt.Id)!.Phase);
    }

    [Fact]
    public void Pause_and_resume_refuse_what_is_not_running_or_not_started()
    {
        var holder = _h.Submit("Counter", "add", "k");
        var queued = (SubmitResult)_h.Actions(Commands.Submit(new InvocationRequest("Counter", "add", "k", "1"u8.ToArray(), [], null, true)))
            .OfType<PartitionAction.Reply>().Single().Value;
        Assert.Equal(ControlStatus.NotRunning, Control(t => new PartitionCommand.Pause(queued.Id, t)).Status);
        Assert.Equal(ControlStatus.NotStarted, Control(t => new PartitionCommand.Resume(queued.Id, new ResumeDeployment.Keep(), t)).Status);
        Assert.Equal(ControlStatus.BadDeployment, Control(t => new PartitionCommand.Resume(holder.Id, new ResumeDeployment.Specific("dp_missing"), t)).Status);

        _h.Finish(holder, "1");
        Assert.Equal(ControlStatus.AlreadyCompleted, Control(t => new PartitionCommand.Pause(holder.Id, t)).Status);
        Assert.Equal(ControlStatus.AlreadyCompleted, Control(t => new PartitionCommand.Resume(holder.Id, new ResumeDeployment.Keep(), t)).Status);
    }

    [Fact]
    public void Cancelling_a_paused_invocation_runs_it_again_with_the_cancel_signal()
    {
        var attempt = PausedAfterRetries();
        var result = _h.Actions(new PartitionCommand.Cancel(attempt.Id, new object()));

        var invoke = result.OfType<PartitionAction.Invoke>().Single().Request;
        var signal = invoke.Journal.Last();
        Assert.Equal(MessageType.SignalNotification, signal.Type);
        Assert.Equal(1u, NotificationTemplate.Parser.ParseFrom(signal.Payload.Span).SignalId);
    }

    [Fact]
    public void Killing_a_paused_invocation_completes_it_and_frees_its_key()
    {
        var attempt = _h.Submit("Counter", "add", "k");
        Control(t => new PartitionCommand.Pause(attempt.Id, t));
        var next = _h.Actions(Commands.Submit(new InvocationRequest("Counter", "add", "k", "2"u8.ToArray(), [], null, true)));
        Assert.Empty(next.OfType<PartitionAction.Invoke>());

        var killed = _h.Actions(new PartitionCommand.Kill(attempt.Id, new object()));
        Assert.Equal(InvocationPhase.Completed, _h.Record(attempt.Id)!.Phase);
        Assert.Single(killed.OfType<PartitionAction.Invoke>());
    }

    [Fact]
    public void Restart_as_new_runs_the_same_input_as_a_new_invocation_while_the_journal_is_kept()
    {
        var attempt = _h.Submit("Greeter", "greet");
        Assert.Equal(ControlStatus.NotCompleted, Control(t => new PartitionCommand.RestartAsNew(attempt.Id, NewId(), t)).Status);
        _h.Finish(attempt, "1");

        var newId = NewId();
        var token = new object();
        var actions = _h.Actions(new PartitionCommand.RestartAsNew(attempt.Id, newId, token));
        Assert.Equal(newId, ((ControlResult)actions.OfType<PartitionAction.Reply>().Single().Value).NewId);
        var rerun = actions.OfType<PartitionAction.Invoke>().Single().Request;
        Assert.Equal(newId, rerun.Id);
        Assert.Equal("1", InputCommandMessage.Parser.ParseFrom(rerun.Journal[0].Payload.Span).Value.Content.ToStringUtf8());

        Assert.Equal(ControlStatus.Done, Control(t => new PartitionCommand.PurgeJournal(attempt.Id, t)).Status);
        Assert.NotNull(_h.Record(attempt.Id));
        Assert.Equal(ControlStatus.InputGone, Control(t => new PartitionCommand.RestartAsNew(attempt.Id, NewId(), t)).Status);
    }

    [Fact]
    public void A_workflow_run_cannot_be_restarted_as_new()
    {
        var run = _h.Submit("Signup", "run", "wf");
        _h.Finish(run, "1");
        Assert.Equal(ControlStatus.Unsupported, Control(t => new PartitionCommand.RestartAsNew(run.Id, NewId(), t)).Status);
    }

    [Fact]
    public void A_completed_journal_is_kept_for_its_retention_and_then_deleted_before_the_status()
    {
        var h = new PartitionHarness(new RuntimeOptions { DataDirectory = "unused", Partitions = 1, DefaultJournalRetention = TimeSpan.FromMinutes(1), CompletionRetention = TimeSpan.FromHours(1) });
        var attempt = h.Submit("Greeter", "greet");
        h.Finish(attempt, "1");
        Assert.Equal(2, h.Count(Table.Journal));

        h.Apply(new PartitionCommand.Cleanup(), Now.AddSeconds(59));
        Assert.Equal(2, h.Count(Table.Journal));
        h.Apply(new PartitionCommand.Cleanup(), Now.AddMinutes(2));
        Assert.Equal(0, h.Count(Table.Journal));
        Assert.NotNull(h.Record(attempt.Id));
        h.Apply(new PartitionCommand.Cleanup(), Now.AddHours(2));
        Assert.Null(h.Record(attempt.Id));
        Assert.Equal(0, h.Count(Table.Retention));
    }

    [Fact]
    public void State_is_replaced_only_when_the_key_is_free_and_the_version_matches()
    {
        var attempt = _h.Submit("Counter", "add", "mary");
        _h.Effect(attempt, new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("name"), Value = new Value { Content = ByteString.CopyFromUtf8("bob") } });
        var replacement = new Dictionary<string, byte[]> { ["total"] = "7"u8.ToArray() };
        Assert.Equal(ControlStatus.Conflict, Control(t => new PartitionCommand.ReplaceState("Counter", "mary", null, replacement, t)).Status);
        _h.Finish(attempt, "1");

        Assert.Equal(ControlStatus.Conflict, Control(t => new PartitionCommand.ReplaceState("Counter", "mary", "stale", replacement, t)).Status);
        var current = StateMachine.StateVersion([KeyValuePair.Create("name", "bob"u8.ToArray())]);
        Assert.Equal(ControlStatus.Done, Control(t => new PartitionCommand.ReplaceState("Counter", "mary", current, replacement, t)).Status);
        var state = new Tables(new Transaction(_h.Store)).AllState("Counter", "mary");
        Assert.Equal(["total"], state.Select(s => s.Key));
    }

    [Fact]
    public void State_version_matches_the_official_CLIs_hash()
    {
        Assert.Equal("tDqA04Lj3_qJ-PgNPTecXDGZgpwy6jm2Ni2BYqJIthM", StateMachine.StateVersion([KeyValuePair.Create("name", "bob"u8.ToArray())]));
        Assert.Equal("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU", StateMachine.StateVersion([]));
    }

    [Fact]
    public void A_retry_before_the_SDK_journaled_anything_takes_the_services_current_deployment()
    {
        var schema = new FakeSchema();
        var machine = new StateMachine(schema, new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });
        var store = new MemoryStore();
        List<PartitionAction> Run(PartitionCommand command)
        {
            var tx = new Transaction(store);
            var result = machine.Apply(new Tables(tx), command, Now);
            tx.Commit();
            return result.Actions;
        }

        var first = Run(Commands.Submit(new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true))).OfType<PartitionAction.Invoke>().Single().Request;
        Run(new PartitionCommand.Effect(new InvokerEffect.Failed(first.Id, first.Attempt, new AttemptFailure(500, "not deployed yet"))));
        schema.Redeploy("Greeter", "dp_fixed");
        var retry = Run(new PartitionCommand.TimerFired(store.Dump().Single(e => e.Table == Table.Timers).Key)).OfType<PartitionAction.Invoke>().Single().Request;
        Assert.Equal("dp_fixed", retry.Deployment.Id);

        // Once the SDK journaled a command, the invocation stays on that deployment.
        Run(new PartitionCommand.Effect(new InvokerEffect.Command(retry.Id, retry.Attempt, 1,
            new JournalEntry(MessageType.RunCommand, new RunCommandMessage { ResultCompletionId = 1 }.ToByteArray()), false)));
        Run(new PartitionCommand.Effect(new InvokerEffect.Failed(retry.Id, retry.Attempt, new AttemptFailure(500, "again"))));
        schema.Redeploy("Greeter", "dp_newer");
        var third = Run(new PartitionCommand.TimerFired(store.Dump().Single(e => e.Table == Table.Timers).Key)).OfType<PartitionAction.Invoke>().Single().Request;
        Assert.Equal("dp_fixed", third.Deployment.Id);
    }

    private static Protocol.Ids.InvocationId NewId() => Protocol.Ids.InvocationId.New(0);
}
