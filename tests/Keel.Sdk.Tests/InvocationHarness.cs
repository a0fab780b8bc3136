using System.IO.Pipelines;
using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Tests;

/// <summary>Runs one handler invocation in memory: frames in through a pipe, frames out through another.</summary>
internal static class InvocationHarness
{
    public static Task<List<IMessage>> RunAsync<TService>(string handler, string inputJson, params (MessageType Type, IMessage Message)[] replay) =>
        RunAsync<TService>(handler, inputJson, null, replay);

    public static Task<List<IMessage>> RunAsync<TService>(string handler, string inputJson, Microsoft.Extensions.Logging.ILogger? logger, params (MessageType Type, IMessage Message)[] replay) =>
        RunAsync<TService>(handler, inputJson, logger, null, replay);

    public static async Task<List<IMessage>> RunAsync<TService>(string handler, string inputJson, Microsoft.Extensions.Logging.ILogger? logger, KeelJsonOptions? json, params (MessageType Type, IMessage Message)[] replay)
    {
        var definition = ServiceDefinition.For<TService>();
        var input = new Pipe();
        var output = new Pipe();
        var id = InvocationId.New();
        var start = new StartMessage { Id = ByteString.CopyFrom(id.ToBytes()), DebugId = id.ToString(), KnownEntries = (uint)(1 + replay.Length), Key = "k", RandomSeed = 1 };
        await input.Writer.WriteAsync(MessageCodec.Encode(start));
        await input.Writer.WriteAsync(MessageCodec.Encode(new InputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8(inputJson) } }));
        foreach (var (type, message) in replay)
        {
            await input.Writer.WriteAsync(FrameEncoder.Encode(type, message));
        }

        // Request-response style: the input ends after the replay, so the invocation suspends when it must wait.
        await input.Writer.CompleteAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await InvocationRunner.RunAsync(definition.Handlers[handler], ServiceProtocolVersion.V6, input.Reader, output.Writer,
            type => Activator.CreateInstance(type)!, TimeProvider.System, timeout.Token, logger, json);
        await output.Writer.CompleteAsync();

        var decoder = new FrameDecoder();
        var messages = new List<IMessage>();
        while (true)
        {
            var read = await output.Reader.ReadAsync();
            foreach (var segment in read.Buffer)
            {
                decoder.Push(segment.Span);
            }

            output.Reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        messages.AddRange(decoder.ReadAll().Select(f => MessageCodec.Decode(f)));
        return messages;
    }
}
