using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;

namespace Keel.Server.Partitions;

/// <summary>
/// Partitioning: which partition owns an invocation, and how work for an invocation owned by another
/// partition travels there — through this partition's durable outbox, delivered after commit,
/// applied at most once by the target (per-source sequence numbers), acknowledged back.
/// </summary>
public sealed partial class StateMachine
{
    public int PartitionOf(InvocationId id) => _map.PartitionOf(id.PartitionKey);

    /// <summary>Applies the operation here if this partition owns the target, else hands it over durably.</summary>
    private void Send(ApplyContext c, InvocationId target, RemoteOp op) => SendTo(c, PartitionOf(target), op);

    private void SendTo(ApplyContext c, int owner, RemoteOp op)
    {
        if (owner == partition)
        {
            ApplyRemote(c, op);
            return;
        }

        var previous = c.Tables.LastSentTo(owner);
        var seq = c.Tables.PutOutbox(OutboxCodec.Encode(owner, op, previous));
        c.Tables.SetLastSentTo(owner, seq);
        c.Actions.Add(new PartitionAction.Route(owner, new PartitionCommand.Deliver(partition, seq, op, previous)));
    }

    /// <summary>
    /// Applies a hand-over once and in the order it was sent. Within one process hand-overs arrive in
    /// order; between nodes one can be lost on the way (its target moved, a node died) while a later
    /// one arrives: that later one waits (no ack) until redelivery brings the lost one first.
    /// </summary>
    private void OnDeliver(ApplyContext c, PartitionCommand.Deliver deliver)
    {
        var last = c.Tables.LastDelivered(deliver.Source);
        if (deliver.Seq > last)
        {
            if (deliver.Previous is { } previous && previous != last)
            {
                return;
            }

            ApplyRemote(c, deliver.Op);
            c.Tables.SetLastDelivered(deliver.Source, deliver.Seq);
        }

        c.Actions.Add(new PartitionAction.Route(deliver.Source, new PartitionCommand.AckOutbox(deliver.Seq)));
    }

    private static void OnAckOutbox(ApplyContext c, PartitionCommand.AckOutbox ack) => c.Tables.DeleteOutbox(ack.Seq);

    /// <summary>
    /// Hands over again one page of what is not yet acknowledged (the target skips what it already
    /// applied) and queues the next page, so a large outbox never becomes one burst of hand-overs.
    /// </summary>
    private void RedeliverOutbox(ApplyContext c, PartitionCommand.RedeliverOutbox redeliver)
    {
        if (redeliver.After == 0)
        {
            c.Actions.Add(new PartitionAction.OutboxMark(c.Tables.NextOutboxSequence()));
        }

        var page = c.Tables.OutboxPage(redeliver.After, redeliver.Below, redeliver.Limit);
        if (page.Count == redeliver.Limit)
        {
            c.Actions.Add(new PartitionAction.FollowUp(redeliver with { After = page[^1].Seq }));
        }

        foreach (var (seq, bytes) in page)
        {
            (int Target, RemoteOp Op, ulong? Previous) entry;
            try
            {
                entry = OutboxCodec.Decode(bytes);
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or ArgumentException or Google.Protobuf.InvalidProtocolBufferException)
            {
                // Reads only, so skipping is safe: one unreadable entry must not hold back the others.
                c.Actions.Add(new PartitionAction.RecordSkipped($"outbox entry {seq}", e.Message));
                continue;
            }

            c.Actions.Add(new PartitionAction.Route(entry.Target, new PartitionCommand.Deliver(partition, seq, entry.Op, entry.Previous)));
        }
    }

    private void ApplyRemote(ApplyContext c, RemoteOp op)
    {
        switch (op)
        {
            case RemoteOp.CreateChild create:
                ApplyCreateChild(c, create);
                break;
            case RemoteOp.NotifyInvocation notify when c.Tables.GetInvocation(InvocationId.Parse(notify.TargetId)) is { } record:
                Notify(c, record, (MessageType)notify.Type, NotificationTemplate.Parser.ParseFrom(notify.Payload));
                break;
            case RemoteOp.CancelInvocation cancel:
                Cancel(c, InvocationId.Parse(cancel.TargetId));
                break;
            case RemoteOp.KillInvocation kill:
                Kill(c, InvocationId.Parse(kill.TargetId));
                break;
            case RemoteOp.GetResult get:
                ApplyGetResult(c, get);
                break;
        }
    }

    /// <summary>Sends a notification to an invocation, wherever it lives.</summary>
    private void NotifyAnywhere(ApplyContext c, string targetId, MessageType type, NotificationTemplate notification) =>
        Send(c, InvocationId.Parse(targetId), new RemoteOp.NotifyInvocation(targetId, (ushort)type, notification.ToByteArray()));
}
