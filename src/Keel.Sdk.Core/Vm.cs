using System.Buffers;
using System.Security.Cryptography;
using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Core;

/// <summary>
/// The protocol state machine of one invocation. See <see cref="IVm"/>; this part holds the transport:
/// input decoding (Start, replay entries, live notifications), output buffering and fatal errors.
/// </summary>
public sealed partial class Vm : IVm
{
    private readonly VmOptions _options;
    private readonly FrameDecoder _decoder = new();
    private readonly ArrayBufferWriter<byte> _output = new();
    private readonly Queue<(MessageType Type, IMessage Message)> _replayCommands = new();
    private readonly NotificationQueue _notifications = new();

    private StartMessage? _start;
    private int _entriesToReplay;
    private bool _inputClosed;
    private VmException? _failure;
    private bool _inputConsumed;

    public Vm(ServiceProtocolVersion version, VmOptions? options = null)
    {
        Version = version;
        _options = options ?? new VmOptions();
    }

    public ServiceProtocolVersion Version { get; }

    public bool IsOutputClosed { get; private set; }

    public bool IsReadyToExecute => _start is not null && _entriesToReplay == 0;

    public bool IsReplaying => _replayCommands.Count > 0;

    /// <summary>The Start message (after it arrived).</summary>
    internal StartMessage Start => _start ?? throw new InvalidOperationException("StartMessage not received yet.");

    public void NotifyInput(ReadOnlySpan<byte> bytes)
    {
        ThrowIfFailed();
        try
        {
            _decoder.Push(bytes);
            while (_decoder.TryRead(out var frame))
            {
                OnFrame(frame);
            }
        }
        catch (ProtocolException e)
        {
            throw Fail(571, e.Message);
        }
    }

    public void NotifyInputClosed()
    {
        _inputClosed = true;
        if (_failure is null && !IsReadyToExecute && !IsOutputClosed)
        {
            throw Fail(571, "Input closed before the StartMessage and all replay entries arrived.");
        }
    }

    public void NotifyError(string message, string? stacktrace = null, TimeSpan? nextRetryDelay = null)
    {
        if (IsOutputClosed)
        {
            return;
        }

        var error = new ErrorMessage { Code = 500, Message = message, Stacktrace = stacktrace ?? string.Empty };
        if (nextRetryDelay is { } delay)
        {
            error.NextRetryDelay = (ulong)delay.TotalMilliseconds;
        }

        WriteFinal(error);
    }

    public ReadOnlyMemory<byte> TakeOutput()
    {
        if (_output.WrittenCount == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var bytes = _output.WrittenMemory.ToArray();
        _output.ResetWrittenCount();
        return bytes;
    }

    private void OnFrame(Frame frame)
    {
        if (_start is null)
        {
            if (frame.Type != MessageType.Start)
            {
                throw Fail(571, $"Expected StartMessage first, got {frame.Type}.");
            }

            _start = (StartMessage)MessageCodec.Decode(frame, Version);
            if (_start.KnownEntries == 0)
            {
                throw Fail(571, "StartMessage.known_entries must be at least 1 (the Input command).");
            }

            _entriesToReplay = (int)_start.KnownEntries;
            InitializeState(_start);
            return;
        }

        var type = frame.Type;
        if (type.IsCommand())
        {
            if (_entriesToReplay == 0)
            {
                throw Fail(571, $"Received command {type} after the replay phase.");
            }

            _replayCommands.Enqueue((type, MessageCodec.Decode(frame, Version)));
            _entriesToReplay--;
            return;
        }

        if (type.IsNotification())
        {
            var n = (NotificationTemplate)MessageCodec.Decode(frame, Version);
            OnNotification(n);
            if (_entriesToReplay > 0)
            {
                _entriesToReplay--;
            }

            return;
        }

        if (type == MessageType.ProposeRunCompletionAck && _entriesToReplay == 0)
        {
            var ack = (ProposeRunCompletionAckMessage)MessageCodec.Decode(frame, Version);
            OnRunAck(ack.CompletionId);
            return;
        }

        throw Fail(571, $"Unexpected message type 0x{(ushort)type:X4} from the runtime.");
    }

    private void OnNotification(NotificationTemplate n)
    {
        NotificationId id = n.IdCase switch
        {
            NotificationTemplate.IdOneofCase.CompletionId => NotificationId.Completion(n.CompletionId),
            NotificationTemplate.IdOneofCase.SignalId => NotificationId.Signal(n.SignalId),
            NotificationTemplate.IdOneofCase.SignalName => NotificationId.NamedSignal(n.SignalName),
            _ => throw Fail(571, "Notification without an id."),
        };
        if (n.ResultCase == NotificationTemplate.ResultOneofCase.None)
        {
            throw Fail(571, "Notification without a result.");
        }

        _notifications.Enqueue(id, NotificationQueue.ToResult(n));
    }

    private void Write(IMessage message, bool requestedAck = false)
    {
        if (IsOutputClosed)
        {
            throw new InvalidOperationException("The VM output is closed.");
        }

        FrameEncoder.Encode(_output, MessageCodec.TypeOf(message), message, requestedAck);
    }

    private void WriteFinal(IMessage message)
    {
        Write(message);
        IsOutputClosed = true;
    }

    /// <summary>Writes an ErrorMessage (unless output already closed), remembers and returns the exception to throw.</summary>
    private VmException Fail(ushort code, string message, uint? commandIndex = null, MessageType? commandType = null, string? commandName = null)
    {
        if (_failure is not null)
        {
            return _failure;
        }

        _failure = new VmException(code, message);
        if (!IsOutputClosed)
        {
            var error = new ErrorMessage { Code = code, Message = message };
            if (commandIndex is { } index)
            {
                error.RelatedCommandIndex = index;
            }

            if (commandType is { } t)
            {
                error.RelatedCommandType = (ushort)t;
            }

            if (!string.IsNullOrEmpty(commandName))
            {
                error.RelatedCommandName = commandName;
            }

            WriteFinal(error);
        }

        return _failure;
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null)
        {
            throw _failure;
        }
    }

    private void EnsureCanIssueCommand()
    {
        ThrowIfFailed();
        if (!IsReadyToExecute)
        {
            throw new InvalidOperationException("The VM is not ready to execute yet.");
        }

        if (IsOutputClosed)
        {
            throw new InvalidOperationException("The VM output is closed.");
        }
    }

    private ulong ComputeRandomSeed() =>
        Version >= ServiceProtocolVersion.V6
            ? Start.RandomSeed
            : BitConverter.ToUInt64(SHA256.HashData(Start.Id.Span), 0);
}
