using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Core;

/// <summary>Input and K/V state: eager reads from the local map, lazy reads through the runtime.</summary>
public sealed partial class Vm
{
    private readonly SortedDictionary<string, ReadOnlyMemory<byte>> _state = new(StringComparer.Ordinal);
    private bool _partialState;

    private void InitializeState(StartMessage start)
    {
        _partialState = start.PartialState;
        foreach (var entry in start.StateMap)
        {
            _state[entry.Key.ToStringUtf8()] = entry.Value.Memory;
        }
    }

    public InvocationInput SysInput()
    {
        ThrowIfFailed();
        if (_inputConsumed)
        {
            throw new InvalidOperationException("SysInput was already called.");
        }

        if (!IsReadyToExecute)
        {
            throw new InvalidOperationException("The VM is not ready to execute yet.");
        }

        if (!_replayCommands.TryDequeue(out var first) || first.Message is not InputCommandMessage input)
        {
            throw Fail(571, "The journal does not start with an Input command.");
        }

        _inputConsumed = true;
        _nextCommandIndex = 1;
        return new InvocationInput(
            Start.DebugId,
            Start.Id.ToByteArray(),
            Start.Key,
            input.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value)).ToList(),
            input.Value?.Content.Memory ?? ReadOnlyMemory<byte>.Empty,
            ComputeRandomSeed())
        {
            RetryCountSinceLastStoredEntry = Start.RetryCountSinceLastStoredEntry,
        };
    }

    public NotificationHandle SysStateGet(string key)
    {
        var completionId = NextCompletionId();
        var id = NotificationId.Completion(completionId);
        var handle = NewHandle(id);

        // A journal written by a lazy attempt replays lazily, and vice versa: accept either.
        var replayedType = NextReplayedType;
        var lazy = replayedType == MessageType.GetLazyStateCommand
            || (replayedType is null && !_state.ContainsKey(key) && _partialState);
        if (lazy)
        {
            Journal(new GetLazyStateCommandMessage { Key = Bytes(key), ResultCompletionId = completionId }, key);
            return handle;
        }

        var eager = new GetEagerStateCommandMessage { Key = Bytes(key) };
        if (_state.TryGetValue(key, out var local))
        {
            eager.Value = FailureConversions.ToValue(local);
        }
        else
        {
            eager.Void = new Unit();
        }

        var replayed = (GetEagerStateCommandMessage?)Journal(eager, key, (j, i) =>
            ((GetEagerStateCommandMessage)j).Key == ((GetEagerStateCommandMessage)i).Key
            && ((GetEagerStateCommandMessage)j).Name == ((GetEagerStateCommandMessage)i).Name);
        var source = replayed ?? eager;
        _notifications.MakeReady(id, source.ResultCase == GetEagerStateCommandMessage.ResultOneofCase.Value
            ? new NotificationResult.Success(source.Value.Content.Memory)
            : new NotificationResult.Void());
        return handle;
    }

    public NotificationHandle SysStateGetKeys()
    {
        var completionId = NextCompletionId();
        var id = NotificationId.Completion(completionId);
        var handle = NewHandle(id);
        var replayedType = NextReplayedType;
        if (replayedType == MessageType.GetLazyStateKeysCommand || (replayedType is null && _partialState))
        {
            Journal(new GetLazyStateKeysCommandMessage { ResultCompletionId = completionId }, string.Empty);
            return handle;
        }

        var eager = new GetEagerStateKeysCommandMessage { Value = new StateKeys() };
        eager.Value.Keys.AddRange(_state.Keys.Select(ByteString.CopyFromUtf8));
        var replayed = (GetEagerStateKeysCommandMessage?)Journal(eager, string.Empty, (j, i) =>
            ((GetEagerStateKeysCommandMessage)j).Name == ((GetEagerStateKeysCommandMessage)i).Name);
        var keys = (replayed ?? eager).Value?.Keys.Select(k => k.ToStringUtf8()).ToList() ?? [];
        _notifications.MakeReady(id, new NotificationResult.StateKeys(keys));
        return handle;
    }

    public void SysStateSet(string key, ReadOnlyMemory<byte> value)
    {
        Journal(new SetStateCommandMessage { Key = Bytes(key), Value = FailureConversions.ToValue(value) }, key);
        _state[key] = value.ToArray();
    }

    public void SysStateClear(string key)
    {
        Journal(new ClearStateCommandMessage { Key = Bytes(key) }, key);
        _state.Remove(key);
    }

    public void SysStateClearAll()
    {
        Journal(new ClearAllStateCommandMessage(), string.Empty);
        _state.Clear();
        _partialState = false;
    }
}
