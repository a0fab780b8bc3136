using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Storage;

namespace Keel.Server.Partitions;

/// <summary>Reading results (attach, output) and purging completed invocations.</summary>
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
        InvocationQuery.Workflow w => tables.IdempotentInvocation(Keys.WorkflowRun(w.Name, w.Key)) is { } wf ? InvocationId.Parse(wf) : null,
        InvocationQuery.Idempotent i => tables.IdempotentInvocation(Keys.Idempotency(i.Service, i.Key, i.Handler, i.IdempotencyKey)) is { } ik ? InvocationId.Parse(ik) : null,
        _ => null,
    };

    /// <summary>
    /// Forgets completed invocations past their retention: status, the idempotency or workflow-id
    /// mapping that pointed at them, and a workflow's durable promises.
    /// </summary>
    private void OnCleanup(ApplyContext c)
    {
        foreach (var record in c.Tables.AllInvocations().Where(r => r.Phase == InvocationPhase.Completed && r.RetainUntil <= c.Now
            && PartitionOf(InvocationId.Parse(r.Id)) == partition).ToList())
        {
            Forget(c, record);
        }
    }

    private static void Forget(ApplyContext c, InvocationRecord record)
    {
        var id = InvocationId.Parse(record.Id);
        c.Tables.DeleteInvocation(id);
        if (record.HandlerKind == Protocol.Manifest.HandlerType.Workflow)
        {
            c.Tables.Transaction.Delete(Table.Idempotency, Keys.WorkflowRun(record.Service, record.Key));
            foreach (var (promise, _) in c.Tables.Transaction.Scan(Table.Promises, Keys.Object(record.Service, record.Key ?? string.Empty)))
            {
                c.Tables.Transaction.Delete(Table.Promises, promise);
            }
        }
        else if (record.IdempotencyKey is { } ik)
        {
            c.Tables.Transaction.Delete(Table.Idempotency, Keys.Idempotency(record.Service, record.Key, record.Handler, ik));
        }
    }

    private static void OnPurge(ApplyContext c, PartitionCommand.Purge purge)
    {
        var status = c.Tables.GetInvocation(purge.Id) switch
        {
            null => ControlStatus.NotFound,
            { Phase: InvocationPhase.Completed } => ControlStatus.Done,
            _ => ControlStatus.AlreadyCompleted,
        };
        if (status == ControlStatus.Done)
        {
            Forget(c, c.Tables.GetInvocation(purge.Id)!);
        }

        c.Actions.Add(new PartitionAction.Reply(purge.Reply, new ControlResult(status)));
    }
}
