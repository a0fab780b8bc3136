using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Storage;

namespace Keel.Server.Partitions;

/// <summary>Reading results (attach, output) and forgetting completed invocations (retention, purge).</summary>
public sealed partial class StateMachine
{
    private static void OnGetOutput(ApplyContext c, PartitionCommand.GetOutput query)
    {
        var id = Resolve(c.Tables, query.Query);
        var record = id is { } found ? c.Tables.GetInvocation(found) : null;
        var answer = record is null
            ? new OutputResult(OutputStatus.NotFound, null, null)
            : record.Result is { } result
                ? new OutputResult(OutputStatus.Ready, id, ToResult(result))
                : new OutputResult(OutputStatus.NotReady, id, null);
        c.Actions.Add(new PartitionAction.Reply(query.Reply, answer));
    }

    private static InvocationId? Resolve(Tables tables, InvocationQuery query) => query switch
    {
        InvocationQuery.ById byId => byId.Id,
        InvocationQuery.Workflow w => tables.IdempotentInvocation(Keys.WorkflowRun(w.Name, w.Key)),
        InvocationQuery.Idempotent i => tables.IdempotentInvocation(Keys.Idempotency(i.Service, i.Key, i.Handler, i.IdempotencyKey)),
        _ => null,
    };

    /// <summary>
    /// Forgets completed invocations whose retention has passed, oldest first, at most
    /// <see cref="PartitionCommand.Cleanup.Limit"/> per step (reads only the retention index's
    /// expired prefix, never the status table): one <see cref="PartitionCommand.Expire"/> each, so a
    /// record that throws holds up only itself; asks to be run again when more are due.
    /// </summary>
    private static void OnCleanup(ApplyContext c, PartitionCommand.Cleanup cleanup)
    {
        // Entries before `After` are being expired by the previous step; new ones always expire later than now.
        var expired = c.Tables.Expired(c.Now, cleanup.Limit + 1, cleanup.After);
        foreach (var (id, indexKey) in expired.Take(cleanup.Limit))
        {
            c.Actions.Add(new PartitionAction.FollowUp(new PartitionCommand.Expire(id, indexKey)));
        }

        if (expired.Count > cleanup.Limit)
        {
            c.Actions.Add(new PartitionAction.CleanupMore(expired[cleanup.Limit - 1].IndexKey));
        }
    }

    private static void OnExpire(ApplyContext c, PartitionCommand.Expire expire)
    {
        c.Tables.DeleteIndexEntry(Table.Retention, expire.IndexKey);
        if (c.Tables.GetInvocation(expire.Id) is not { Phase: InvocationPhase.Completed } record)
        {
            return;
        }

        if (record.RetainUntil <= c.Now)
        {
            Forget(c, record);
        }
        else if (record.JournalRetainUntil <= c.Now)
        {
            DropKeptJournal(c, record);
            c.Tables.PutInvocation(record);
        }
    }

    /// <summary>Deletes the journal a completed invocation kept for its journal retention.</summary>
    private static void DropKeptJournal(ApplyContext c, InvocationRecord record)
    {
        c.Tables.DeleteJournal(record.Id, record.KeptJournalLength);
        if (record.JournalRetainUntil is { } until && until != record.RetainUntil)
        {
            c.Tables.RemoveRetention(until, record.Id);
        }

        record.KeptJournalLength = 0;
        record.JournalRetainUntil = null;
    }

    /// <summary>Deletes a completed invocation: status, its kept journal, the idempotency or workflow-id mapping that pointed at it, a workflow's promises and state.</summary>
    private static void Forget(ApplyContext c, InvocationRecord record)
    {
        DropKeptJournal(c, record);
        c.Tables.DeleteInvocation(record.Id);
        if (record.RetainUntil is { } until)
        {
            c.Tables.RemoveRetention(until, record.Id);
        }

        if (record.HandlerKind == Protocol.Manifest.HandlerType.Workflow)
        {
            // The workflow id may run again: nothing of the previous run (output, promises, state) remains.
            c.Tables.DeleteIdempotent(Keys.WorkflowRun(record.Service, record.Key));
            c.Tables.DeletePromises(record.Service, record.Key ?? string.Empty);
            c.Tables.ClearAllState(record.Service, record.Key ?? string.Empty);
        }
        else if (record.IdempotencyKey is { } ik)
        {
            c.Tables.DeleteIdempotent(Keys.Idempotency(record.Service, record.Key, record.Handler, ik));
        }
    }

    private static void OnPurge(ApplyContext c, PartitionCommand.Purge purge)
    {
        var record = c.Tables.GetInvocation(purge.Id);
        var status = record switch
        {
            null => ControlStatus.NotFound,
            { Phase: InvocationPhase.Completed } => ControlStatus.Done,
            _ => ControlStatus.NotCompleted,
        };
        if (status == ControlStatus.Done)
        {
            Forget(c, record!);
        }

        c.Actions.Add(new PartitionAction.Reply(purge.Reply, new ControlResult(status)));
    }
}
