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
        InvocationQuery.Workflow w => tables.IdempotentInvocation(Keys.Idempotency(w.Name, w.Key, "run", "\u0001workflow")) is { } wf ? InvocationId.Parse(wf) : null,
        InvocationQuery.Idempotent i => tables.IdempotentInvocation(Keys.Idempotency(i.Service, i.Key, i.Handler, i.IdempotencyKey)) is { } ik ? InvocationId.Parse(ik) : null,
        _ => null,
    };

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
            c.Tables.DeleteInvocation(purge.Id);
        }

        c.Actions.Add(new PartitionAction.Reply(purge.Reply, new ControlResult(status)));
    }
}
