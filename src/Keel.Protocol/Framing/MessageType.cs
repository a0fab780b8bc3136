namespace Keel.Protocol.Framing;

/// <summary>The 16-bit type id carried in every frame header (protocol V5–V7).</summary>
public enum MessageType : ushort
{
    // control
    /// <summary>First message of every invocation stream: ids, the known journal length, eager state.</summary>
    Start = 0x0000,
    /// <summary>The SDK stops until one of the listed notifications arrives; the runtime resumes it later.</summary>
    Suspension = 0x0001,
    /// <summary>The attempt failed with a retryable error; the runtime retries the invocation.</summary>
    Error = 0x0002,
    /// <summary>The SDK finished the invocation; nothing follows.</summary>
    End = 0x0003,
    /// <summary>The runtime stored the command at the given index (sent when an ack was requested).</summary>
    CommandAck = 0x0004,
    /// <summary>The SDK proposes the result of a run closure; the runtime journals it.</summary>
    ProposeRunCompletion = 0x0005,
    /// <summary>The futures the handler awaits right now, for introspection.</summary>
    AwaitingOn = 0x0006,
    /// <summary>The runtime journaled a proposed run result.</summary>
    ProposeRunCompletionAck = 0x0007,

    // commands
    /// <summary>The invocation's input: headers and payload.</summary>
    InputCommand = 0x0400,
    /// <summary>The invocation's result: a value or a terminal failure.</summary>
    OutputCommand = 0x0401,
    /// <summary>Reads a state entry the runtime did not send eagerly; answered by a completion.</summary>
    GetLazyStateCommand = 0x0402,
    /// <summary>Writes a state entry.</summary>
    SetStateCommand = 0x0403,
    /// <summary>Removes a state entry.</summary>
    ClearStateCommand = 0x0404,
    /// <summary>Removes every state entry of the object.</summary>
    ClearAllStateCommand = 0x0405,
    /// <summary>Lists the state keys when they were not sent eagerly; answered by a completion.</summary>
    GetLazyStateKeysCommand = 0x0406,
    /// <summary>Reads a state entry from the eagerly sent state; carries its value.</summary>
    GetEagerStateCommand = 0x0407,
    /// <summary>Lists the state keys from the eagerly sent state; carries them.</summary>
    GetEagerStateKeysCommand = 0x0408,
    /// <summary>Waits for a workflow promise.</summary>
    GetPromiseCommand = 0x0409,
    /// <summary>Reads a workflow promise without waiting.</summary>
    PeekPromiseCommand = 0x040A,
    /// <summary>Resolves or rejects a workflow promise.</summary>
    CompletePromiseCommand = 0x040B,
    /// <summary>Starts a durable timer.</summary>
    SleepCommand = 0x040C,
    /// <summary>Calls a handler and waits for its result.</summary>
    CallCommand = 0x040D,
    /// <summary>Sends to a handler, optionally delayed, without waiting for a result.</summary>
    OneWayCallCommand = 0x040E,
    /// <summary>Sends a signal (cancel, awakeable or named) to another invocation.</summary>
    SendSignalCommand = 0x0410,
    /// <summary>Marks a run closure; its result arrives as a run completion.</summary>
    RunCommand = 0x0411,
    /// <summary>Waits for another invocation's result.</summary>
    AttachInvocationCommand = 0x0412,
    /// <summary>Reads another invocation's result without waiting.</summary>
    GetInvocationOutputCommand = 0x0413,
    /// <summary>Resolves or rejects an awakeable.</summary>
    CompleteAwakeableCommand = 0x0414,

    // notifications
    /// <summary>The value of a lazy state read.</summary>
    GetLazyStateCompletion = 0x8002,
    /// <summary>The keys of a lazy state-keys read.</summary>
    GetLazyStateKeysCompletion = 0x8006,
    /// <summary>The value (or failure) of an awaited workflow promise.</summary>
    GetPromiseCompletion = 0x8009,
    /// <summary>The current value of a peeked workflow promise, or void.</summary>
    PeekPromiseCompletion = 0x800A,
    /// <summary>Whether completing a workflow promise succeeded.</summary>
    CompletePromiseCompletion = 0x800B,
    /// <summary>A durable timer fired.</summary>
    SleepCompletion = 0x800C,
    /// <summary>The result of a call.</summary>
    CallCompletion = 0x800D,
    /// <summary>The invocation id of a call or send, once the runtime assigned it.</summary>
    CallInvocationIdCompletion = 0x800E,
    /// <summary>The journaled result of a run closure.</summary>
    RunCompletion = 0x8011,
    /// <summary>The result of an attached invocation.</summary>
    AttachInvocationCompletion = 0x8012,
    /// <summary>The result (or void) of another invocation, read without waiting.</summary>
    GetInvocationOutputCompletion = 0x8013,
    /// <summary>A signal delivered to this invocation (cancel, awakeable or named signal).</summary>
    SignalNotification = 0xFBFF,
}

/// <summary>Classification of type ids by the ranges the protocol reserves for them.</summary>
public static class MessageTypeRanges
{
    /// <summary>Control messages (below 0x0400): stream lifecycle, not journaled.</summary>
    public static bool IsControl(this MessageType type) => (ushort)type < 0x0400;

    /// <summary>Commands (0x0400–0x7FFF): journal entries written by the SDK.</summary>
    public static bool IsCommand(this MessageType type) => (ushort)type is >= 0x0400 and < 0x8000;

    /// <summary>Notifications (0x8000–0xFBFF): completions and signals written by the runtime.</summary>
    public static bool IsNotification(this MessageType type) => (ushort)type is >= 0x8000 and < 0xFC00;

    /// <summary>Custom entries (0xFC00 and up), which the protocol leaves to SDKs.</summary>
    public static bool IsCustom(this MessageType type) => (ushort)type >= 0xFC00;
}
