using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Core;

/// <summary>Journal bookkeeping: ids, handles, and "replay or write" for every command.</summary>
public sealed partial class Vm
{
    private readonly Dictionary<uint, NotificationId> _handles = [];
    private uint _nextHandle = 1;
    private uint _nextCompletionId = 1;
    private uint _nextSignalId = 17;
    private uint _nextCommandIndex;

    /// <summary>Command index of the first command written (not replayed) in this attempt, if any.</summary>
    private uint? _firstNewCommandIndex;

    private uint NextCompletionId() => _nextCompletionId++;

    private NotificationHandle NewHandle(NotificationId id)
    {
        var handle = new NotificationHandle(_nextHandle++);
        _handles[handle.Value] = id;
        return handle;
    }

    private NotificationId IdOf(NotificationHandle handle) =>
        _handles.TryGetValue(handle.Value, out var id)
            ? id
            : throw new ArgumentException($"Unknown notification handle {handle.Value}.", nameof(handle));

    /// <summary>
    /// Replays the next journaled command (checking it matches what the code issued now) or, when the
    /// replay is over, writes <paramref name="command"/>. Returns the replayed message, or null if written.
    /// </summary>
    private IMessage? Journal(IMessage command, string name, Func<IMessage, IMessage, bool>? equals = null, bool requestedAck = false)
    {
        EnsureCanIssueCommand();
        var index = _nextCommandIndex++;
        var type = MessageCodec.TypeOf(command);
        if (_replayCommands.TryDequeue(out var replayed))
        {
            if (replayed.Type != type)
            {
                throw Fail(570, $"Journal mismatch at command {index}: the journal has {replayed.Type}, the code now issues {type}.", index, type, name);
            }

            if (!(equals ?? FullyEqual)(replayed.Message, command))
            {
                throw Fail(570, $"Journal mismatch at command {index} ({type}): the code now issues {command}, the journal has {replayed.Message}.", index, type, name);
            }

            return replayed.Message;
        }

        _firstNewCommandIndex ??= index;
        Write(command, requestedAck);
        return null;
    }

    private static bool FullyEqual(IMessage journaled, IMessage issued) => journaled.Equals(issued);

    /// <summary>Peeks the type of the next command to replay, or null in processing.</summary>
    private MessageType? NextReplayedType => _replayCommands.TryPeek(out var next) ? next.Type : null;

    private static ByteString Bytes(string s) => ByteString.CopyFromUtf8(s);
}
