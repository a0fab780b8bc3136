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
                    c.Tables.AddPromiseListener(record.Service, key, get.Key, record.Id, get.ResultCompletionId);
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
        foreach (var (waiter, completionId) in c.Tables.TakePromiseListeners(service, key, name))
        {
            if (c.Tables.GetInvocation(waiter) is { } record)
            {
                Notify(c, record, MessageType.GetPromiseCompletion, ResultNotification(completionId, result));
            }
        }
    }
}
