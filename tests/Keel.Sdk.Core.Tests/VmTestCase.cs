using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Core.Tests;

/// <summary>Frames in → frames out: builds the input stream, runs a scenario on a VM, decodes what it wrote.</summary>
internal sealed class VmTestCase
{
    public static readonly InvocationId Id = InvocationId.Parse("inv_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hbz");

    private readonly List<byte[]> _frames = [];

    public ServiceProtocolVersion Version { get; init; } = ServiceProtocolVersion.V6;

    public static StartMessage StartWith(uint knownEntries, bool partialState = false, params (string Key, string Value)[] state)
    {
        var start = new StartMessage
        {
            Id = ByteString.CopyFrom(Id.ToBytes()),
            DebugId = Id.ToString(),
            KnownEntries = knownEntries,
            PartialState = partialState,
            Key = "my-key",
            RandomSeed = 42,
        };
        start.StateMap.AddRange(state.Select(s => new StartMessage.Types.StateEntry { Key = ByteString.CopyFromUtf8(s.Key), Value = ByteString.CopyFromUtf8(s.Value) }));
        return start;
    }

    public static InputCommandMessage Input(string json = "\"hi\"") => new() { Value = Bytes(json) };

    public static Value Bytes(string s) => new() { Content = ByteString.CopyFromUtf8(s) };

    public static NotificationTemplate Completion(uint id, string? value = null) =>
        value is null ? new NotificationTemplate { CompletionId = id, Void = new Unit() } : new NotificationTemplate { CompletionId = id, Value = Bytes(value) };

    public VmTestCase With(IMessage message)
    {
        _frames.Add(MessageCodec.Encode(message));
        return this;
    }

    public VmTestCase With(MessageType notificationType, NotificationTemplate notification)
    {
        _frames.Add(FrameEncoder.Encode(notificationType, notification));
        return this;
    }

    public byte[] InputBytes => _frames.SelectMany(f => f).ToArray();

    /// <summary>Feeds all input (optionally closing it), runs the scenario, returns the decoded output messages.</summary>
    public (Vm Vm, List<IMessage> Output) Run(Action<Vm> scenario, bool closeInput = true, VmOptions? options = null)
    {
        var vm = new Vm(Version, options);
        vm.NotifyInput(InputBytes);
        if (closeInput)
        {
            vm.NotifyInputClosed();
        }

        try
        {
            scenario(vm);
        }
        catch (VmException)
        {
            // The ErrorMessage is in the output; tests assert on it.
        }

        return (vm, Decode(vm.TakeOutput(), Version));
    }

    public static List<IMessage> Decode(ReadOnlyMemory<byte> bytes, ServiceProtocolVersion version)
    {
        var decoder = new FrameDecoder();
        decoder.Push(bytes.Span);
        return decoder.ReadAll().Select(f => MessageCodec.Decode(f, version)).ToList();
    }

    public static byte[] Utf8(string s) => System.Text.Encoding.UTF8.GetBytes(s);
}
