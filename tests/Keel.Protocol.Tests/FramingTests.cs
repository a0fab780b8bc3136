using Keel.Protocol.Framing;
using Keel.Protocol.Messages;

namespace Keel.Protocol.Tests;

public class FramingTests
{
    [Fact]
    public void Sleep_completion_encodes_to_the_documented_bytes()
    {
        var message = new NotificationTemplate { CompletionId = 1, Void = new Unit() };
        var bytes = FrameEncoder.Encode(MessageType.SleepCompletion, message);
        Assert.Equal(Convert.FromHexString("800C000000000004" + "08012200"), bytes);
    }

    [Fact]
    public void Requested_ack_flag_sits_in_bit_47()
    {
        var header = new FrameHeader(MessageType.ProposeRunCompletion, 10, RequestedAck: true);
        Span<byte> bytes = stackalloc byte[8];
        header.WriteTo(bytes);
        Assert.Equal(Convert.FromHexString("000580000000000A"), bytes.ToArray());
        Assert.Equal(header, FrameHeader.ReadFrom(bytes));
    }

    [Fact]
    public void Reserved_flag_bits_are_ignored_on_read()
    {
        var header = FrameHeader.ReadFrom(Convert.FromHexString("0403000100000005"));
        Assert.Equal(MessageType.SetStateCommand, header.Type);
        Assert.Equal(5u, header.Length);
        Assert.False(header.RequestedAck);
    }

    [Fact]
    public void Decoder_reassembles_frames_split_at_every_byte()
    {
        var first = MessageCodec.Encode(new SetStateCommandMessage { Key = Google.Protobuf.ByteString.CopyFromUtf8("k"), Value = new Value { Content = Google.Protobuf.ByteString.CopyFromUtf8("v") } });
        var second = MessageCodec.Encode(new EndMessage());
        var all = first.Concat(second).ToArray();
        var decoder = new FrameDecoder();
        var frames = new List<Frame>();
        foreach (var b in all)
        {
            decoder.Push([b]);
            frames.AddRange(decoder.ReadAll());
        }

        Assert.Equal([MessageType.SetStateCommand, MessageType.End], frames.Select(f => f.Type));
        var set = Assert.IsType<SetStateCommandMessage>(MessageCodec.Decode(frames[0]));
        Assert.Equal("k", set.Key.ToStringUtf8());
        Assert.Equal(0, decoder.BufferedBytes);
    }

    [Fact]
    public void Decoder_rejects_a_message_above_the_limit_with_a_clear_error()
    {
        var decoder = new FrameDecoder(maxMessageSize: 16);
        decoder.Push(Convert.FromHexString("0400000000000011"));
        var error = Assert.Throws<ProtocolException>(() => decoder.TryRead(out _));
        Assert.Contains("above the limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_limit_is_32_MiB()
    {
        var decoder = new FrameDecoder();
        decoder.Push(Convert.FromHexString("0400000002000000"));
        Assert.False(decoder.TryRead(out _));
        var tooBig = new FrameDecoder();
        tooBig.Push(Convert.FromHexString("0400000002000001"));
        Assert.Throws<ProtocolException>(() => tooBig.TryRead(out _));
    }

    [Theory]
    [InlineData("application/vnd.restate.invocation.v5", ServiceProtocolVersions.ParseOutcome.Supported, ServiceProtocolVersion.V5)]
    [InlineData("application/vnd.restate.invocation.v7", ServiceProtocolVersions.ParseOutcome.Supported, ServiceProtocolVersion.V7)]
    [InlineData("application/vnd.restate.invocation.v4", ServiceProtocolVersions.ParseOutcome.UnsupportedVersion, ServiceProtocolVersion.Unspecified)]
    [InlineData("application/json", ServiceProtocolVersions.ParseOutcome.NotAProtocolContentType, ServiceProtocolVersion.Unspecified)]
    public void Content_type_negotiation(string contentType, ServiceProtocolVersions.ParseOutcome outcome, ServiceProtocolVersion version)
    {
        Assert.Equal(outcome, ServiceProtocolVersions.TryParse(contentType, out var parsed));
        Assert.Equal(version, parsed);
    }
}
