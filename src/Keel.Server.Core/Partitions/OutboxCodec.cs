using Google.Protobuf;
using Keel.Server.Storage.Records;

namespace Keel.Server.Partitions;

/// <summary>Outbox entries as compact protobuf records (see Storage/Proto/records.proto).</summary>
public static class OutboxCodec
{
    /// <param name="previous">The sequence of the entry sent to the same target before this one (0: none); null only in tests of older entries.</param>
    public static byte[] Encode(int target, RemoteOp op, ulong? previous = null)
    {
        ArgumentNullException.ThrowIfNull(op);
        var entry = new Storage.Records.OutboxEntry { Target = target };
        if (previous is { } before)
        {
            entry.Previous = before;
        }

        switch (op)
        {
            case RemoteOp.CreateChild c:
                var create = new CreateChildOp { ChildId = c.ChildId, Service = c.Service, Handler = c.Handler, Key = c.Key, Parameter = ByteString.CopyFrom(c.Parameter) };
                create.Headers.AddRange(c.Headers.Select(h => new HeaderEntry { Key = h.Key, Value = h.Value }));
                if (c.IdempotencyKey is not null)
                {
                    create.IdempotencyKey = c.IdempotencyKey;
                }

                if (c.CallerId is not null)
                {
                    create.CallerId = c.CallerId;
                }

                if (c.Trace is { } trace)
                {
                    create.TraceParent = trace.TraceParent;
                    create.TraceState = trace.TraceState ?? string.Empty;
                }

                if (c.CallerCompletionId is { } completion)
                {
                    create.CallerCompletionId = completion;
                }

                if (c.InvokeTime is { } at)
                {
                    create.InvokeTime = at.ToUnixTimeMilliseconds();
                }

                entry.Create = create;
                break;
            case RemoteOp.NotifyInvocation n:
                entry.Notify = new NotifyOp { TargetId = n.TargetId, Type = n.Type, Payload = ByteString.CopyFrom(n.Payload) };
                break;
            case RemoteOp.CancelInvocation cancel:
                entry.Cancel = cancel.TargetId;
                break;
            case RemoteOp.KillInvocation kill:
                entry.Kill = kill.TargetId;
                break;
            case RemoteOp.GetResult g:
                var result = new GetResultOp { CallerId = g.CallerId, CompletionId = g.CompletionId, Wait = g.Wait };
                if (g.Target.InvocationId is not null)
                {
                    result.InvocationId = g.Target.InvocationId;
                }

                if (g.Target.Service is not null)
                {
                    result.Service = g.Target.Service;
                }

                if (g.Target.Key is not null)
                {
                    result.Key = g.Target.Key;
                }

                if (g.Target.Handler is not null)
                {
                    result.Handler = g.Target.Handler;
                }

                if (g.Target.IdempotencyKey is not null)
                {
                    result.IdempotencyKey = g.Target.IdempotencyKey;
                }

                entry.Result = result;
                break;
            default:
                throw new ArgumentException($"Unknown hand-over {op.GetType().Name}.", nameof(op));
        }

        return entry.ToByteArray();
    }

    public static (int Target, RemoteOp Op, ulong? Previous) Decode(ReadOnlySpan<byte> bytes)
    {
        var entry = Storage.Records.OutboxEntry.Parser.ParseFrom(bytes);
        RemoteOp op = entry.OpCase switch
        {
            Storage.Records.OutboxEntry.OpOneofCase.Create => new RemoteOp.CreateChild(
                entry.Create.ChildId, entry.Create.Service, entry.Create.Handler, entry.Create.Key, entry.Create.Parameter.ToByteArray(),
                entry.Create.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value)).ToList(),
                entry.Create.HasIdempotencyKey ? entry.Create.IdempotencyKey : null,
                entry.Create.HasCallerId ? entry.Create.CallerId : null,
                entry.Create.HasCallerCompletionId ? entry.Create.CallerCompletionId : null,
                entry.Create.HasInvokeTime ? DateTimeOffset.FromUnixTimeMilliseconds(entry.Create.InvokeTime) : null,
                entry.Create.TraceParent.Length == 0 ? null : new Contracts.TraceContext(entry.Create.TraceParent, entry.Create.TraceState.Length == 0 ? null : entry.Create.TraceState)),
            Storage.Records.OutboxEntry.OpOneofCase.Notify => new RemoteOp.NotifyInvocation(entry.Notify.TargetId, (ushort)entry.Notify.Type, entry.Notify.Payload.ToByteArray()),
            Storage.Records.OutboxEntry.OpOneofCase.Cancel => new RemoteOp.CancelInvocation(entry.Cancel),
            Storage.Records.OutboxEntry.OpOneofCase.Kill => new RemoteOp.KillInvocation(entry.Kill),
            Storage.Records.OutboxEntry.OpOneofCase.Result => new RemoteOp.GetResult(
                new ResultTarget(
                    entry.Result.HasInvocationId ? entry.Result.InvocationId : null,
                    entry.Result.HasService ? entry.Result.Service : null,
                    entry.Result.HasKey ? entry.Result.Key : null,
                    entry.Result.HasHandler ? entry.Result.Handler : null,
                    entry.Result.HasIdempotencyKey ? entry.Result.IdempotencyKey : null),
                entry.Result.CallerId, entry.Result.CompletionId, entry.Result.Wait),
            _ => throw new FormatException("An outbox entry without an operation."),
        };
        return (entry.Target, op, entry.HasPrevious ? entry.Previous : null);
    }
}
