using System.IO.Pipelines;
using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Tests;

/// <summary>
/// One invocation over open pipes, like a bidi HTTP/2 stream: the test pushes frames while the
/// handler runs, aborts the stream, or closes the input and collects the output.
/// </summary>
internal sealed class LiveInvocation : IDisposable
{
    private readonly Pipe _input = new();
    private readonly Pipe _output = new();
    private readonly CancellationTokenSource _abort = new();

    private LiveInvocation(Task run) => Run = run;

    private LiveInvocation() => Run = Task.CompletedTask;

    public Task Run { get; private set; }

    public static async Task<LiveInvocation> StartAsync<TService>(string handler, string inputJson, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var live = new LiveInvocation();
        var id = InvocationId.New();
        var start = new StartMessage { Id = ByteString.CopyFrom(id.ToBytes()), DebugId = id.ToString(), KnownEntries = 1, Key = "k", RandomSeed = 1 };
        await live._input.Writer.WriteAsync(MessageCodec.Encode(start));
        await live._input.Writer.WriteAsync(MessageCodec.Encode(new InputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8(inputJson) } }));
        live.Run = InvocationRunner.RunAsync(ServiceDefinition.For<TService>().Handlers[handler], ServiceProtocolVersion.V6, live._input.Reader, live._output.Writer,
            type => Activator.CreateInstance(type)!, TimeProvider.System, live._abort.Token, logger);
        return live;
    }

    public async Task SendAsync(MessageType type, IMessage message) => await _input.Writer.WriteAsync(FrameEncoder.Encode(type, message));

    /// <summary>The runtime's CANCEL signal (signal id 1).</summary>
    public Task SendCancelSignalAsync() => SendAsync(MessageType.SignalNotification, new NotificationTemplate { SignalId = 1, Void = new Unit() });

    /// <summary>The stream goes away (the runtime aborted the attempt or the connection dropped).</summary>
    public async Task AbortAsync()
    {
        await _abort.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Run);
    }

    /// <summary>Closes the input (the runtime does so after the final message) and returns every message written.</summary>
    public async Task<List<IMessage>> FinishAsync()
    {
        await _input.Writer.CompleteAsync();
        await Run.WaitAsync(TimeSpan.FromSeconds(10));
        await _output.Writer.CompleteAsync();
        var decoder = new FrameDecoder();
        while (true)
        {
            var read = await _output.Reader.ReadAsync();
            foreach (var segment in read.Buffer)
            {
                decoder.Push(segment.Span);
            }

            _output.Reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        return decoder.ReadAll().Select(f => MessageCodec.Decode(f)).ToList();
    }

    public void Dispose() => _abort.Dispose();
}
