using Google.Protobuf;
using Keel.Protocol.Messages;

namespace Keel.Protocol.Framing;

/// <summary>Maps frame type ids to protobuf messages, in both directions.</summary>
public static class MessageCodec
{
    /// <summary>Decodes a frame's payload into its message. Suspension depends on the version.</summary>
    /// <exception cref="ProtocolException">Unknown type id or malformed payload.</exception>
    public static IMessage Decode(Frame frame, ServiceProtocolVersion version = ServiceProtocolVersion.V6)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var parser = ParserFor(frame.Type, version)
            ?? throw new ProtocolException($"Unknown message type 0x{(ushort)frame.Type:X4}.");
        try
        {
            return parser.ParseFrom(frame.Payload.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ProtocolException($"Malformed payload for message type {frame.Type}.", e);
        }
    }

    /// <summary>The frame type id that carries the given message, or null if it has none of its own.</summary>
    public static MessageType TypeOf(IMessage message) => message switch
    {
        StartMessage => MessageType.Start,
        SuspensionMessage or SuspensionMessageV6 => MessageType.Suspension,
        ErrorMessage => MessageType.Error,
        EndMessage => MessageType.End,
        CommandAckMessage => MessageType.CommandAck,
        ProposeRunCompletionMessage => MessageType.ProposeRunCompletion,
        AwaitingOnMessage => MessageType.AwaitingOn,
        ProposeRunCompletionAckMessage => MessageType.ProposeRunCompletionAck,
        InputCommandMessage => MessageType.InputCommand,
        OutputCommandMessage => MessageType.OutputCommand,
        GetLazyStateCommandMessage => MessageType.GetLazyStateCommand,
        SetStateCommandMessage => MessageType.SetStateCommand,
        ClearStateCommandMessage => MessageType.ClearStateCommand,
        ClearAllStateCommandMessage => MessageType.ClearAllStateCommand,
        GetLazyStateKeysCommandMessage => MessageType.GetLazyStateKeysCommand,
        GetEagerStateCommandMessage => MessageType.GetEagerStateCommand,
        GetEagerStateKeysCommandMessage => MessageType.GetEagerStateKeysCommand,
        GetPromiseCommandMessage => MessageType.GetPromiseCommand,
        PeekPromiseCommandMessage => MessageType.PeekPromiseCommand,
        CompletePromiseCommandMessage => MessageType.CompletePromiseCommand,
        SleepCommandMessage => MessageType.SleepCommand,
        CallCommandMessage => MessageType.CallCommand,
        OneWayCallCommandMessage => MessageType.OneWayCallCommand,
        SendSignalCommandMessage => MessageType.SendSignalCommand,
        RunCommandMessage => MessageType.RunCommand,
        AttachInvocationCommandMessage => MessageType.AttachInvocationCommand,
        GetInvocationOutputCommandMessage => MessageType.GetInvocationOutputCommand,
        CompleteAwakeableCommandMessage => MessageType.CompleteAwakeableCommand,
        _ => throw new ArgumentException(
            $"{message?.GetType().Name} has no type id of its own; notifications need an explicit type.", nameof(message)),
    };

    /// <summary>Encodes a message whose type id follows from its CLR type.</summary>
    public static byte[] Encode(IMessage message, bool requestedAck = false) =>
        FrameEncoder.Encode(TypeOf(message), message, requestedAck);

    private static MessageParser? ParserFor(MessageType type, ServiceProtocolVersion version) => type switch
    {
        MessageType.Start => StartMessage.Parser,
        MessageType.Suspension => version >= ServiceProtocolVersion.V7 ? SuspensionMessage.Parser : SuspensionMessageV6.Parser,
        MessageType.Error => ErrorMessage.Parser,
        MessageType.End => EndMessage.Parser,
        MessageType.CommandAck => CommandAckMessage.Parser,
        MessageType.ProposeRunCompletion => ProposeRunCompletionMessage.Parser,
        MessageType.AwaitingOn => AwaitingOnMessage.Parser,
        MessageType.ProposeRunCompletionAck => ProposeRunCompletionAckMessage.Parser,
        MessageType.InputCommand => InputCommandMessage.Parser,
        MessageType.OutputCommand => OutputCommandMessage.Parser,
        MessageType.GetLazyStateCommand => GetLazyStateCommandMessage.Parser,
        MessageType.SetStateCommand => SetStateCommandMessage.Parser,
        MessageType.ClearStateCommand => ClearStateCommandMessage.Parser,
        MessageType.ClearAllStateCommand => ClearAllStateCommandMessage.Parser,
        MessageType.GetLazyStateKeysCommand => GetLazyStateKeysCommandMessage.Parser,
        MessageType.GetEagerStateCommand => GetEagerStateCommandMessage.Parser,
        MessageType.GetEagerStateKeysCommand => GetEagerStateKeysCommandMessage.Parser,
        MessageType.GetPromiseCommand => GetPromiseCommandMessage.Parser,
        MessageType.PeekPromiseCommand => PeekPromiseCommandMessage.Parser,
        MessageType.CompletePromiseCommand => CompletePromiseCommandMessage.Parser,
        MessageType.SleepCommand => SleepCommandMessage.Parser,
        MessageType.CallCommand => CallCommandMessage.Parser,
        MessageType.OneWayCallCommand => OneWayCallCommandMessage.Parser,
        MessageType.SendSignalCommand => SendSignalCommandMessage.Parser,
        MessageType.RunCommand => RunCommandMessage.Parser,
        MessageType.AttachInvocationCommand => AttachInvocationCommandMessage.Parser,
        MessageType.GetInvocationOutputCommand => GetInvocationOutputCommandMessage.Parser,
        MessageType.CompleteAwakeableCommand => CompleteAwakeableCommandMessage.Parser,
        _ when type.IsNotification() => NotificationTemplate.Parser,
        _ => null,
    };
}
