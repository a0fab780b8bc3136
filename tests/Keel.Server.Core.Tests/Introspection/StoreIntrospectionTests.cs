using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Core.Tests.Partitions;
using Keel.Server.Introspection;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Introspection;

/// <summary>The SQL tables' rows as read back from storage: statuses, journals, state, inboxes, promises, idempotency keys.</summary>
public class StoreIntrospectionTests
{
    private static readonly DateTimeOffset Now = PartitionHarness.Now;
    private readonly PartitionHarness _h = new(new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });

    private StoreIntrospection Open() => new(_h.Store.OpenSnapshot(), new FakeSchema());

    [Fact]
    public void Invocations_show_each_status_with_target_retries_and_last_failure()
    {
        var running = _h.Submit("Counter", "add", "k");
        var queued = _h.Actions(Commands.Submit(new InvocationRequest("Counter", "add", "k", "1"u8.ToArray(), [], null, true)));
        var queuedId = Assert.Single(queued.OfType<PartitionAction.Reply>()).Value is SubmitResult r ? r.Id : default;
        var failing = _h.Submit("Fragile", "once");
        _h.Apply(new PartitionCommand.Effect(new InvokerEffect.Failed(failing.Id, failing.Attempt,
            new AttemptFailure(500, "boom", Stacktrace: "   at charge()", RelatedCommandIndex: 0, RelatedCommandName: "charge", RelatedCommandType: (uint)MessageType.RunCommand))), Now.AddSeconds(1));
        var done = _h.Submit("Greeter", "greet", idempotencyKey: "ik");
        _h.Finish(done, "\"hi\"", Now.AddSeconds(2));

        using var snapshot = Open();
        var rows = snapshot.Invocations().ToDictionary(i => i.Id);

        var holder = rows[running.Id.ToString()];
        Assert.Equal(("Counter/k/add", "virtual_object", "invoked", true), (holder.Target, holder.TargetServiceTy, holder.Status, holder.InFlight));
        Assert.Equal(Now.UtcDateTime, holder.LastStartAt);
        // Not pinned before the SDK journaled anything; the running attempt's deployment and SDK are shown.
        Assert.Null(holder.PinnedDeploymentId);
        Assert.Equal(("dp_test", "test"), (holder.LastAttemptDeploymentId, holder.LastAttemptServer));

        var inboxed = rows[queuedId.ToString()];
        Assert.Equal(("inboxed", false, (DateTime?)Now.UtcDateTime), (inboxed.Status, inboxed.InFlight, inboxed.InboxedAt));

        var backingOff = rows[failing.Id.ToString()];
        Assert.Equal(("invoked", false, 1UL), (backingOff.Status, backingOff.InFlight, backingOff.RetryCount));
        Assert.Equal("[500 Internal] boom\n   at charge()", backingOff.LastFailure);
        Assert.Equal((500UL, 0UL, "charge", "Command: Run"), (backingOff.LastFailureErrorCode, backingOff.LastFailureRelatedEntryIndex, backingOff.LastFailureRelatedEntryName, backingOff.LastFailureRelatedEntryType));
        Assert.NotNull(backingOff.NextRetryAt);

        var completed = rows[done.Id.ToString()];
        Assert.Equal("dp_test", completed.PinnedDeploymentId);
        Assert.Null(completed.LastAttemptDeploymentId);
        Assert.Equal(("completed", "success", "ik", "Greeter/greet", "service"), (completed.Status, completed.CompletionResult, completed.IdempotencyKey, completed.Target, completed.TargetServiceTy));
        Assert.Equal(Now.AddSeconds(2).UtcDateTime, completed.CompletedAt);
        Assert.Equal(2u, completed.JournalSize);
        Assert.Equal((ulong)TimeSpan.FromHours(24).TotalMilliseconds, completed.CompletionRetentionMs);
        Assert.Equal("ingress", completed.InvokedBy);

        var idempotency = Assert.Single(snapshot.Idempotency());
        Assert.Equal(("Greeter", null, "greet", "ik", done.Id.ToString()), (idempotency.ServiceName, idempotency.ServiceKey, idempotency.ServiceHandler, idempotency.IdempotencyKey, idempotency.InvocationId));
        var inbox = Assert.Single(snapshot.Inbox());
        Assert.Equal(("Counter", "k", queuedId.ToString()), (inbox.ServiceName, inbox.ServiceKey, inbox.Id));
    }

    [Fact]
    public void Journal_rows_name_entries_like_Restate_and_link_calls_sleeps_and_completions()
    {
        var caller = _h.Submit("Greeter", "greet");
        _h.Effect(caller, new CallCommandMessage { ServiceName = "Counter", HandlerName = "add", Key = "k", InvocationIdNotificationIdx = 1, ResultCompletionId = 2, Name = "count" });
        var wake = Now.AddMinutes(5);
        Apply(caller, 2, new SleepCommandMessage { WakeUpTime = (ulong)wake.ToUnixTimeMilliseconds(), ResultCompletionId = 3 });

        using var snapshot = Open();
        var journal = snapshot.Journal().Where(j => j.Id == caller.Id.ToString()).OrderBy(j => j.Index).ToList();

        Assert.Equal(["Command: Input", "Command: Call", "Notification: CallInvocationId", "Command: Sleep"], journal.Select(j => j.EntryType));
        var call = journal[1];
        Assert.Equal(("Counter/k/add", "count", false), (call.InvokedTarget, call.Name, call.Completed));
        Assert.True(InvocationId.TryParse(call.InvokedId, out _));
        Assert.Equal(wake.UtcDateTime, journal[3].SleepWakeupAt);
        Assert.False(journal[3].Completed);
        Assert.All(journal, j => Assert.Equal(2u, j.Version));
        Assert.All(journal, j => Assert.Equal(Now.UtcDateTime, j.AppendedAt));

        // A one-way send's target shows who sent it, too.
        var send = _h.Apply(new PartitionCommand.Effect(new InvokerEffect.Command(caller.Id, caller.Attempt, 3, new JournalEntry(MessageType.OneWayCallCommand,
            new OneWayCallCommandMessage { ServiceName = "Greeter", HandlerName = "greet", InvocationIdNotificationIdx = 4 }.ToByteArray()), false)));
        var sentId = PartitionHarness.Pushed(send, MessageType.CallInvocationIdCompletion).InvocationId;
        using (var later = Open())
        {
            var sent = later.Invocations().Single(i => i.Id == sentId);
            Assert.Equal(("service", caller.Id.ToString()), (sent.InvokedBy, sent.InvokedById));
        }

        // The callee shows who called it.
        var callee = snapshot.Invocations().Single(i => i.Id == call.InvokedId);
        Assert.Equal(("service", caller.Id.ToString(), "Greeter/greet", "Greeter"), (callee.InvokedBy, callee.InvokedById, callee.InvokedByTarget, callee.InvokedByServiceName));
    }

    [Fact]
    public void State_and_promises_read_back_with_their_object_keys()
    {
        var attempt = _h.Submit("Counter", "add", "mary");
        _h.Effect(attempt, new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("total"), Value = new Value { Content = ByteString.CopyFromUtf8("42") } });
        var tx = new Transaction(_h.Store);
        var tables = new Tables(tx);
        tables.PutPromise("Signup", "wf-1", "approved", Model.ResultRecord.Ok("true"u8.ToArray()));
        tables.PutPromise("Signup", "wf-1", "rejected", Model.ResultRecord.Fail(400, "no"));
        tables.AddPromiseListener("Signup", "wf-1", "pending", attempt.Id, 3);
        tables.Flush();
        tx.Commit();

        using var snapshot = Open();
        var state = Assert.Single(snapshot.State());
        Assert.Equal(("Counter", "mary", "total", "42"), (state.ServiceName, state.ServiceKey, state.Key, System.Text.Encoding.UTF8.GetString(state.Value)));
        Assert.Equal(PartitionMap.KeyOf("Counter", "mary"), state.PartitionKey);

        var promises = snapshot.Promises().OrderBy(p => p.Key).ToList();
        Assert.Equal(["approved", "rejected"], promises.Select(p => p.Key));
        Assert.Equal("true", System.Text.Encoding.UTF8.GetString(promises[0].CompletionSuccessValue!));
        Assert.Equal((400UL, "no"), (promises[1].CompletionFailureCode!.Value, promises[1].CompletionFailureMessage));
    }

    [Fact]
    public void A_snapshot_does_not_see_later_commits()
    {
        var first = _h.Submit("Greeter", "greet");
        using var snapshot = Open();
        _h.Submit("Greeter", "greet");
        _h.Finish(first, "1");

        var only = Assert.Single(snapshot.Invocations());
        Assert.Equal((first.Id.ToString(), "invoked"), (only.Id, only.Status));
    }

    [Fact]
    public void Journal_values_keep_their_append_time_and_older_values_without_it_still_read()
    {
        var at = Now.AddSeconds(3);
        var (type, appended, payload) = JournalValue.Decode(JournalValue.Encode(MessageType.RunCommand, at, [1, 2, 3]));
        Assert.Equal((MessageType.RunCommand, (DateTimeOffset?)at), (type, appended));
        Assert.Equal([1, 2, 3], payload.ToArray());

        var (legacyType, legacyTime, legacyPayload) = JournalValue.Decode([0x04, 0x11, 9]);
        Assert.Equal((MessageType.RunCommand, (DateTimeOffset?)null), (legacyType, legacyTime));
        Assert.Equal([9], legacyPayload.ToArray());
    }

    private void Apply(InvokeRequest attempt, uint index, IMessage command) =>
        _h.Apply(new PartitionCommand.Effect(new InvokerEffect.Command(attempt.Id, attempt.Attempt, index, new JournalEntry(MessageCodec.TypeOf(command), command.ToByteArray()), false)));
}
