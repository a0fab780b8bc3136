using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>Retry policies from the manifest, and V7 suspension trees resumed only when they can progress.</summary>
public class RetryAndSuspensionTests
{
    private static readonly DateTimeOffset Now = PartitionHarness.Now;
    private readonly PartitionHarness _h = new(new RuntimeOptions { DataDirectory = "unused", Partitions = 1, MaxProtocolVersion = 7 });

    private List<PartitionAction> Apply(PartitionCommand command) => _h.Actions(command);

    private InvokeRequest Submit(string service, string handler) => _h.Submit(service, handler);

    private InvocationRecord Record(InvocationId id) => _h.Record(id)!;

    [Fact]
    public void The_manifest_retry_policy_sets_the_backoff_and_kills_at_its_maximum()
    {
        var attempt = Submit("Fragile", "once");
        var first = Apply(new PartitionCommand.Effect(new InvokerEffect.Failed(attempt.Id, attempt.Attempt, new AttemptFailure(500, "boom"))));
        Assert.Equal(Now.AddSeconds(1), first.OfType<PartitionAction.ScheduleTimer>().Single().At);
        Assert.Equal("retrying (1 of 2 attempts failed; then killed)", first.OfType<PartitionAction.AttemptFailed>().Single().Outcome);

        var retry = Apply(new PartitionCommand.TimerFired(first.OfType<PartitionAction.ScheduleTimer>().Single().Key)).OfType<PartitionAction.Invoke>().Single().Request;
        var second = Apply(new PartitionCommand.Effect(new InvokerEffect.Failed(retry.Id, retry.Attempt, new AttemptFailure(500, "boom again"))));
        var killed = (InvocationResult.Failure)second.OfType<PartitionAction.Completed>().Single().Result;
        Assert.Equal((500, "boom again"), (killed.Code, killed.Message));
        Assert.Equal(InvocationPhase.Completed, Record(attempt.Id).Phase);
        Assert.Equal(2, Record(attempt.Id).LastFailure!.Attempt);
    }

    [Fact]
    public void A_delay_asked_for_by_the_sdk_does_not_count_as_an_attempt()
    {
        var attempt = Submit("Fragile", "once");
        var actions = Apply(new PartitionCommand.Effect(new InvokerEffect.Failed(attempt.Id, attempt.Attempt, new AttemptFailure(500, "later", NextRetryDelay: TimeSpan.FromSeconds(7)))));
        Assert.Equal(Now.AddSeconds(7), actions.OfType<PartitionAction.ScheduleTimer>().Single().At);
        Assert.Equal(0, Record(attempt.Id).FailedAttempts);
    }

    [Fact]
    public void An_all_completed_suspension_resumes_only_when_every_awaited_signal_is_there()
    {
        var attempt = Submit("Greeter", "greet");
        Assert.Equal(ServiceProtocolVersion.V7, attempt.Version);
        var tree = new Future { CombinatorType = CombinatorType.AllCompleted, WaitingSignals = { 17, 18 } };
        var suspend = new SuspensionMessage { AwaitingOn = tree };
        Assert.Empty(Apply(new PartitionCommand.Effect(new InvokerEffect.Suspended(attempt.Id, attempt.Attempt, suspend.ToByteArray()))).OfType<PartitionAction.Invoke>());
        Assert.Equal(InvocationPhase.Suspended, Record(attempt.Id).Phase);

        Assert.Empty(Resolve(attempt.Id, 17).OfType<PartitionAction.Invoke>());
        Assert.Equal(InvocationPhase.Suspended, Record(attempt.Id).Phase);

        var resumed = Resolve(attempt.Id, 18).OfType<PartitionAction.Invoke>().Single().Request;
        Assert.Equal(2, resumed.Attempt);
        Assert.Equal(2, resumed.Journal.Count(e => e.Type == MessageType.SignalNotification));
    }

    [Fact]
    public void A_first_completed_suspension_resumes_on_any_awaited_signal()
    {
        var attempt = Submit("Greeter", "greet");
        var suspend = new SuspensionMessage { AwaitingOn = new Future { CombinatorType = CombinatorType.FirstCompleted, WaitingSignals = { 17, 18 } } };
        Apply(new PartitionCommand.Effect(new InvokerEffect.Suspended(attempt.Id, attempt.Attempt, suspend.ToByteArray())));
        Assert.Single(Resolve(attempt.Id, 18).OfType<PartitionAction.Invoke>());
    }

    [Fact]
    public void An_empty_suspension_fails_the_attempt_instead_of_sleeping_forever()
    {
        var attempt = Submit("Greeter", "greet");
        var actions = Apply(new PartitionCommand.Effect(new InvokerEffect.Suspended(attempt.Id, attempt.Attempt, new SuspensionMessage { AwaitingOn = new Future() }.ToByteArray())));
        Assert.Single(actions.OfType<PartitionAction.Abort>());
        Assert.Equal(InvocationPhase.BackingOff, Record(attempt.Id).Phase);
        Assert.Equal(571u, Record(attempt.Id).LastFailure!.Code);
    }

    private List<PartitionAction> Resolve(InvocationId id, uint signal) =>
        Apply(new PartitionCommand.CompleteAwakeable(new AwakeableId(id, signal), new InvocationResult.Success("1"u8.ToArray()), new object()));
}
