namespace Keel.Protocol.Framing;

/// <summary>The 16-bit type id carried in every frame header (protocol V5–V7).</summary>
public enum MessageType : ushort
{
    // control
    Start = 0x0000,
    Suspension = 0x0001,
    Error = 0x0002,
    End = 0x0003,
    CommandAck = 0x0004,
    ProposeRunCompletion = 0x0005,
    AwaitingOn = 0x0006,
    ProposeRunCompletionAck = 0x0007,

    // commands
    InputCommand = 0x0400,
    OutputCommand = 0x0401,
    GetLazyStateCommand = 0x0402,
    SetStateCommand = 0x0403,
    ClearStateCommand = 0x0404,
    ClearAllStateCommand = 0x0405,
    GetLazyStateKeysCommand = 0x0406,
    GetEagerStateCommand = 0x0407,
    GetEagerStateKeysCommand = 0x0408,
    GetPromiseCommand = 0x0409,
    PeekPromiseCommand = 0x040A,
    CompletePromiseCommand = 0x040B,
    SleepCommand = 0x040C,
    CallCommand = 0x040D,
    OneWayCallCommand = 0x040E,
    SendSignalCommand = 0x0410,
    RunCommand = 0x0411,
    AttachInvocationCommand = 0x0412,
    GetInvocationOutputCommand = 0x0413,
    CompleteAwakeableCommand = 0x0414,

    // notifications
    GetLazyStateCompletion = 0x8002,
    GetLazyStateKeysCompletion = 0x8006,
    GetPromiseCompletion = 0x8009,
    PeekPromiseCompletion = 0x800A,
    CompletePromiseCompletion = 0x800B,
    SleepCompletion = 0x800C,
    CallCompletion = 0x800D,
    CallInvocationIdCompletion = 0x800E,
    RunCompletion = 0x8011,
    AttachInvocationCompletion = 0x8012,
    GetInvocationOutputCompletion = 0x8013,
    SignalNotification = 0xFBFF,
}

/// <summary>Classification of type ids by the ranges the protocol reserves for them.</summary>
public static class MessageTypeRanges
{
    public static bool IsControl(this MessageType type) => (ushort)type < 0x0400;

    public static bool IsCommand(this MessageType type) => (ushort)type is >= 0x0400 and < 0x8000;

    public static bool IsNotification(this MessageType type) => (ushort)type is >= 0x8000 and < 0xFC00;

    public static bool IsCustom(this MessageType type) => (ushort)type >= 0xFC00;
}
