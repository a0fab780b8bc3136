using CsCheck;
using Keel.Fuzzing;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Core.Tests.Fuzz;

/// <summary>
/// Whatever the runtime sends (a replay that matches the handler or not, notifications of any type, unknown
/// types, lying lengths, garbage), in any chunking, while a handler issues random commands and awaits: the VM
/// answers every call or throws <see cref="VmException"/> — never another exception — and its output is a
/// well-formed stream that ends with End, Suspension or Error. An await never spins: with the input closed it
/// resolves, suspends or fails.
/// </summary>
public sealed class VmFrameFuzzTests
{
    [Fact]
    public void Any_input_ends_the_attempt_with_end_suspension_or_error_and_only_vm_exceptions()
    {
        Gen.UInt.Array[1, 400].Sample(values =>
        {
            var c = new FuzzChoices(values);
            var version = c.Pick<ServiceProtocolVersion>([ServiceProtocolVersion.V5, ServiceProtocolVersion.V6, ServiceProtocolVersion.V7]);
            var vm = new Vm(version, new VmOptions { ImplicitCancellation = c.Chance(80) });
            var host = new FuzzedHost(vm, Chunks(c, Input(c)), c);
            host.Run();

            var output = new FrameDecoder();
            output.Push(host.Output.WrittenSpan);
            var frames = output.ReadAll().ToList();
            Assert.Equal(0, output.BufferedBytes);
            var messages = frames.Select(f => MessageCodec.Decode(f, version)).ToList();
            if (host.Failed || vm.IsOutputClosed)
            {
                Assert.True(vm.IsOutputClosed, "the VM failed but its output is still open");
                Assert.True(messages.Count > 0 && messages[^1] is ErrorMessage or EndMessage or SuspensionMessage or SuspensionMessageV6,
                    $"the output ends with {messages.LastOrDefault()?.GetType().Name ?? "nothing"}");
            }
        }, iter: FuzzIterations.Count(1000));
    }

    /// <summary>Mostly a Start and an Input the handler can run on, then a fuzzed replay and live frames; sometimes anything.</summary>
    private static byte[] Input(FuzzChoices c)
    {
        if (c.Chance(15))
        {
            return FuzzFrames.Stream(c, 6);
        }

        var start = FuzzFrames.Start(c);
        start.KnownEntries = 1 + (uint)c.Below(4);
        var input = MessageCodec.Encode(new InputCommandMessage { Value = new Value { Content = Google.Protobuf.ByteString.CopyFromUtf8("\"in\"") } });
        if (c.Chance(50))
        {
            return [.. MessageCodec.Encode(start), .. input, .. FuzzFrames.Stream(c, 8)];
        }

        // A replay the handler may get through: notifications, now and then another frame, all of it intact.
        var rest = new List<byte>();
        for (var i = c.Below(12); i > 0; i--)
        {
            rest.AddRange(c.Chance(85) ? FuzzFrames.NotificationFrame(c) : FuzzFrames.Frame(c));
        }

        return [.. MessageCodec.Encode(start), .. input, .. rest];
    }

    /// <summary>The bytes split at random points, as a transport delivers them.</summary>
    private static Queue<byte[]> Chunks(FuzzChoices c, byte[] bytes)
    {
        var chunks = new Queue<byte[]>();
        var at = 0;
        while (at < bytes.Length)
        {
            var length = Math.Min(bytes.Length - at, c.Chance(50) ? bytes.Length : 1 + c.Below(64));
            chunks.Enqueue(bytes[at..(at + length)]);
            at += length;
        }

        return chunks;
    }
}
