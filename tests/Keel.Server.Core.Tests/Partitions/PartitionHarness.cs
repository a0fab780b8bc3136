using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>One partition's state machine over an in-memory store, with the steps tests take most: commands in, committed, actions out.</summary>
internal sealed class PartitionHarness(RuntimeOptions options)
{
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    public MemoryStore Store { get; } = new();

    public FakeSchema Schema { get; } = new();

    public StateMachine Machine => field ??= new StateMachine(Schema, options);

    /// <summary>
    /// Applies one command as its own batch and commits it; then, as the processor would, each
    /// follow-up command it queued (recovery and cleanup go one record per command). The result holds
    /// the actions of all of them.
    /// </summary>
    public ApplyResult Apply(PartitionCommand command, DateTimeOffset? at = null)
    {
        var tx = new Transaction(Store);
        var result = Machine.Apply(new Tables(tx), command, at ?? Now);
        tx.Commit();
        foreach (var followUp in result.Actions.OfType<PartitionAction.FollowUp>().ToList())
        {
            result.Actions.AddRange(Apply(followUp.Command, at).Actions);
        }

        return result;
    }

    public List<PartitionAction> Actions(PartitionCommand command, DateTimeOffset? at = null) => Apply(command, at).Actions;

    /// <summary>Submits a send and returns the attempt it started.</summary>
    public InvokeRequest Submit(string service, string handler, string? key = null, string? idempotencyKey = null) =>
        Actions(Commands.Submit(new InvocationRequest(service, handler, key, "1"u8.ToArray(), [], idempotencyKey, true))).OfType<PartitionAction.Invoke>().Single().Request;

    /// <summary>The attempt sends one command (journal index 1).</summary>
    public ApplyResult Effect(InvokeRequest attempt, IMessage command, DateTimeOffset? at = null) =>
        Apply(new PartitionCommand.Effect(new InvokerEffect.Command(attempt.Id, attempt.Attempt, 1, new JournalEntry(MessageCodec.TypeOf(command), command.ToByteArray()), false)), at);

    /// <summary>The attempt writes its output and ends.</summary>
    public ApplyResult Finish(InvokeRequest attempt, string output, DateTimeOffset? at = null)
    {
        Effect(attempt, new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8(output) } }, at);
        return Apply(new PartitionCommand.Effect(new InvokerEffect.Ended(attempt.Id, attempt.Attempt)), at);
    }

    public InvocationRecord? Record(InvocationId id) => new Tables(new Transaction(Store)).GetInvocation(id);

    public int Count(Table table) => Store.Dump().Count(e => e.Table == table);

    /// <summary>The notification of the given type pushed to a running attempt.</summary>
    public static NotificationTemplate Pushed(ApplyResult result, MessageType type)
    {
        var push = result.Actions.OfType<PartitionAction.Push>().Single(p => FrameHeader.ReadFrom(p.Frame).Type == type);
        return NotificationTemplate.Parser.ParseFrom(push.Frame.AsSpan(FrameHeader.Size));
    }
}
