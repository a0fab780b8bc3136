using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>
/// Only a batch nobody outside the server can see — calls queued for callers that wait, journal entries
/// stored without an acknowledgement — is written without its own sync; whatever answers a client,
/// starts work or completes something is synced first, as before.
/// </summary>
public class SyncDeferralTests
{
    private static readonly DateTimeOffset Now = PartitionHarness.Now;
    private readonly PartitionHarness _h = new(new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });

    private static PartitionCommand.Submit Call(string key, string? idempotencyKey = null) => Ingress(new InvocationRequest("Counter", "add", key, "1"u8.ToArray(), [], idempotencyKey, IsSend: false));

    private static PartitionCommand.Submit Send(string key) => Ingress(new InvocationRequest("Counter", "add", key, "1"u8.ToArray(), [], null, IsSend: true));

    /// <summary>As the runtime sends it: the caller of a call waits for the result, a send's does not.</summary>
    private static PartitionCommand.Submit Ingress(InvocationRequest request) =>
        Commands.Submit(request) with { Reply = new PendingRequest(waitForResult: !request.IsSend) };

    [Fact]
    public void A_call_that_starts_at_once_is_synced_before_its_attempt()
    {
        var call = Call("k");
        var actions = Apply(call);

        Assert.Contains(actions, a => a is PartitionAction.Invoke);
        Assert.False(SyncDeferral.CanDefer([call], actions));
    }

    [Fact]
    public void A_call_queued_behind_a_busy_key_whose_caller_waits_needs_no_sync_of_its_own()
    {
        Apply(Call("k"));
        var queued = Call("k");
        var actions = Apply(queued);

        Assert.Contains(actions, a => a is PartitionAction.Inboxed);
        Assert.DoesNotContain(actions, a => a is PartitionAction.Invoke);
        Assert.True(SyncDeferral.CanDefer([queued], actions));
    }

    [Fact]
    public void A_send_queued_behind_a_busy_key_is_synced_because_its_client_is_answered_now()
    {
        Apply(Call("k"));
        var send = Send("k");
        var actions = Apply(send);

        Assert.Contains(actions, a => a is PartitionAction.Inboxed);
        Assert.False(SyncDeferral.CanDefer([send], actions));
    }

    [Fact]
    public void A_repeated_idempotent_call_attaching_to_its_invocation_is_synced()
    {
        Apply(Call("k"));
        Apply(Call("k", idempotencyKey: "once"));
        var again = Call("k", idempotencyKey: "once");
        var actions = Apply(again);

        Assert.Equal(SubmitStatus.PreviouslyAccepted, ((SubmitResult)actions.OfType<PartitionAction.Reply>().Single().Value).Status);
        Assert.False(SyncDeferral.CanDefer([again], actions));
    }

    [Fact]
    public void A_queued_call_sharing_its_batch_with_any_other_command_or_action_is_synced()
    {
        Apply(Call("k"));
        var queued = Call("k");
        var actions = Apply(queued);
        var read = new PartitionCommand.GetOutput(new InvocationQuery.ById(queued.Id), new PendingRequest(waitForResult: false));

        Assert.False(SyncDeferral.CanDefer([queued, read], actions));
        Assert.False(SyncDeferral.CanDefer([queued], [.. actions, new PartitionAction.ScheduleTimer(Now, [1])]));
        Assert.False(SyncDeferral.CanDefer([], []));
    }

    [Fact]
    public void A_state_change_and_an_output_stored_without_acknowledgement_need_no_sync_of_their_own_and_the_end_is_synced()
    {
        var call = Call("k");
        var attempt = Apply(call).OfType<PartitionAction.Invoke>().Single().Request;

        var setState = Entry(attempt, 1, new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("n"), Value = new Value { Content = ByteString.CopyFromUtf8("1") } });
        var output = Entry(attempt, 2, new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8("1") } });
        var end = new PartitionCommand.Effect(new InvokerEffect.Ended(attempt.Id, attempt.Attempt));

        Assert.True(SyncDeferral.CanDefer([setState], Apply(setState)));
        Assert.True(SyncDeferral.CanDefer([output], Apply(output)));
        Assert.False(SyncDeferral.CanDefer([end], Apply(end)));
    }

    [Fact]
    public void An_entry_the_endpoint_asked_to_have_acknowledged_or_one_that_leaves_the_partition_is_synced()
    {
        var attempt = Apply(Call("k")).OfType<PartitionAction.Invoke>().Single().Request;

        var acknowledged = Entry(attempt, 1, new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("n"), Value = new Value() }, ack: true);
        Assert.False(SyncDeferral.CanDefer([acknowledged], Apply(acknowledged)));

        var sleep = Entry(attempt, 2, new SleepCommandMessage { WakeUpTime = (ulong)Now.AddMinutes(1).ToUnixTimeMilliseconds(), ResultCompletionId = 1 });
        var sleepActions = Apply(sleep);
        Assert.Contains(sleepActions, a => a is PartitionAction.ScheduleTimer);
        Assert.False(SyncDeferral.CanDefer([sleep], sleepActions));
    }

    private static PartitionCommand.Effect Entry(InvokeRequest attempt, uint index, IMessage command, bool ack = false) =>
        new(new InvokerEffect.Command(attempt.Id, attempt.Attempt, index, new JournalEntry(MessageCodec.TypeOf(command), command.ToByteArray()), ack));

    private List<PartitionAction> Apply(PartitionCommand command) => _h.Actions(command);
}
