using Keel.Server.Contracts;

namespace Keel.Server.Partitions;

/// <summary>
/// Which batches may be written without waiting for the disk. Every batch is synced before its actions
/// run, except one that did nothing anyone outside the server can see: it queued new calls behind a busy
/// key for callers that wait for the results, or stored journal entries the endpoint asked no
/// acknowledgement for (a state change, an output before the end). It answers nobody and starts
/// nothing, so nobody learns of it before a later batch does something — and every such later batch is
/// synced, which makes the earlier writes durable with it (one write-ahead log, synced in order;
/// <see cref="Storage.IKeyValueStore.CommitWithoutSync"/>). Lost to a power cut before that, such a
/// call was never acknowledged (its caller's connection fails and it sends the call again), and such an
/// entry belongs to an attempt that dies with the server and is replayed from what was synced.
/// </summary>
/// <remarks>
/// On a key with a queue each invocation had three synced batches: its arrival, its state change, and
/// its end (which also starts the next one). One is needed. Sends (answered 202 at once), calls that
/// start at once (the endpoint may act on them), entries that complete something or leave the
/// partition (a call, a timer, an acknowledgement) and anything else stay synced: the rule only names
/// what is safe.
/// </remarks>
internal static class SyncDeferral
{
    /// <summary>True when the batch of <paramref name="commands"/>, which produced <paramref name="actions"/>, needs no sync of its own.</summary>
    public static bool CanDefer(IReadOnlyList<PartitionCommand> commands, IReadOnlyList<PartitionAction> actions) =>
        commands.Count > 0 && commands.All(IsQuiet) && actions.All(IsUnseen);

    /// <summary>A command that may leave nothing seen: a new invocation, or a journal entry nobody waits to hear was stored.</summary>
    private static bool IsQuiet(PartitionCommand command) => command is PartitionCommand.Submit
        or PartitionCommand.Effect { InvokerEffect: InvokerEffect.Command { RequestedAck: false } };

    /// <summary>An action nothing outside the process can observe until a later action does.</summary>
    private static bool IsUnseen(PartitionAction action) => action switch
    {
        // The deadlock detector's view of the wait: in memory, and acting on it goes through a later batch.
        PartitionAction.Inboxed => true,
        // The invocation's id, handed to a caller that now waits for the result and tells its client nothing.
        PartitionAction.Reply { Token: PendingRequest { Completion: not null }, Value: SubmitResult { Result: null, Status: SubmitStatus.Accepted } } => true,
        _ => false,
    };
}
