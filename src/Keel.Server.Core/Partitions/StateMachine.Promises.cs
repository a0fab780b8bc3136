using System.Buffers.Binary;
using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Model;
using Keel.Server.Storage;

namespace Keel.Server.Partitions;

/// <summary>Durable promises of a workflow (keyed by workflow name, id and promise name).</summary>
public sealed partial class StateMachine
{
    private void OnPromiseCommand(ApplyContext c, InvocationRecord record, IMessage message)
    {
        var key = record.Key ?? string.Empty;
        switch (message)
        {
            case GetPromiseCommandMessage get:
                if (c.Tables.GetPromise(record.Service, key, get.Key) is { } ready)
                {
                    Notify(c, record, MessageType.GetPromiseCompletion, ResultNotification(get.ResultCompletionId, ready));
                }
                else
                {
                    var listener = new byte[4];
                    BinaryPrimitives.WriteUInt32BigEndian(listener, get.ResultCompletionId);
                    c.Tables.Transaction.Put(Table.Promises, ListenerKey(record.Service, key, get.Key, InvocationId.Parse(record.Id)), listener);
                }

                break;
            case PeekPromiseCommandMessage peek:
                Notify(c, record, MessageType.PeekPromiseCompletion, c.Tables.GetPromise(record.Service, key, peek.Key) is { } peeked
                    ? ResultNotification(peek.ResultCompletionId, peeked)
                    : new NotificationTemplate { CompletionId = peek.ResultCompletionId, Void = new Unit() });
                break;
            case CompletePromiseCommandMessage complete:
                if (c.Tables.GetPromise(record.Service, key, complete.Key) is not null)
                {
                    Notify(c, record, MessageType.CompletePromiseCompletion, new NotificationTemplate
                    {
                        CompletionId = complete.ResultCompletionId,
                        Failure = new Failure { Code = 409, Message = "promise was already completed" },
                    });
                    break;
                }

                var result = complete.CompletionCase == CompletePromiseCommandMessage.CompletionOneofCase.CompletionValue
                    ? ResultRecord.Ok(complete.CompletionValue.Content.ToByteArray())
                    : ResultRecord.Fail((ushort)complete.CompletionFailure.Code, complete.CompletionFailure.Message);
                c.Tables.PutPromise(record.Service, key, complete.Key, result);
                WakeListeners(c, record.Service, key, complete.Key, result);
                Notify(c, record, MessageType.CompletePromiseCompletion, new NotificationTemplate { CompletionId = complete.ResultCompletionId, Void = new Unit() });
                break;
        }
    }

    private void WakeListeners(ApplyContext c, string service, string key, string name, ResultRecord result)
    {
        var prefix = ListenerKey(service, key, name, null);
        foreach (var (listenerKey, completion) in c.Tables.Transaction.Scan(Table.Promises, prefix))
        {
            c.Tables.Transaction.Delete(Table.Promises, listenerKey);
            var waiter = InvocationId.FromBytes(listenerKey.AsSpan(prefix.Length));
            if (Load(c, waiter) is { } record)
            {
                Notify(c, record, MessageType.GetPromiseCompletion, ResultNotification(BinaryPrimitives.ReadUInt32BigEndian(completion), result));
            }
        }
    }

    /// <summary>Promise key, a 0x01 separator (promise values never have it), then the waiting invocation.</summary>
    private static byte[] ListenerKey(string service, string key, string name, InvocationId? waiter) =>
        [.. Keys.Promise(service, key, name), 0x01, .. waiter?.ToBytes() ?? []];
}
