using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Invoker;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keel.Server.Tests.Invoker;

/// <summary>
/// Answers of a broken deployment that the fuzz tests (Fuzz/) found mishandled: the invoker ends the attempt
/// as a protocol violation (571) or reads the value within bounds, instead of passing it on to fail in the
/// partition or crashing the attempt.
/// </summary>
public sealed class HostileDeploymentTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly RecordingSink _sink = new();
    private FakeDeployment _deployment = null!;

    public async Task InitializeAsync() => _deployment = await FakeDeployment.StartAsync();

    public async Task DisposeAsync() => await _deployment.DisposeAsync();

    [Fact]
    public async Task A_frame_of_an_undefined_command_type_ends_the_attempt_as_a_protocol_violation()
    {
        var undefined = new byte[FrameHeader.Size + 2];
        new FrameHeader((MessageType)0x040F, 2).WriteTo(undefined);
        var failure = await FailureOfAsync([.. MessageCodec.Encode(new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("k"), Value = new Value() }), .. undefined]);

        Assert.Equal(571u, failure.Code);
        Assert.Contains("0x040F", failure.Message, StringComparison.Ordinal);
        Assert.Single(_sink.Effects.OfType<InvokerEffect.Command>());   // the command before it still counts
    }

    [Fact]
    public async Task A_command_whose_payload_is_not_its_message_ends_the_attempt_as_a_protocol_violation()
    {
        var garbage = new byte[FrameHeader.Size + 3];
        new FrameHeader(MessageType.SleepCommand, 3).WriteTo(garbage);
        garbage.AsSpan(FrameHeader.Size).Fill(0xFF);

        var failure = await FailureOfAsync(garbage);

        Assert.Equal(571u, failure.Code);
        Assert.Empty(_sink.Effects.OfType<InvokerEffect.Command>());
    }

    [Fact]
    public async Task An_error_asking_for_a_retry_delay_beyond_any_clock_is_read_as_a_century()
    {
        var failure = await FailureOfAsync(MessageCodec.Encode(new ErrorMessage { Code = 500, Message = "later", NextRetryDelay = ulong.MaxValue }));

        Assert.Equal((500u, "later"), (failure.Code, failure.Message));
        Assert.Equal(TimeSpan.FromDays(36525), failure.NextRetryDelay);
    }

    /// <summary>Runs one attempt the deployment answers with <paramref name="answer"/>; returns how the attempt failed.</summary>
    private async Task<AttemptFailure> FailureOfAsync(byte[] answer)
    {
        _deployment.Respond = (_, body, ct) => body.WriteAsync(answer, ct).AsTask();
        using var invoker = new HttpInvoker(TimeProvider.System, NullLogger<HttpInvoker>.Instance) { Sink = _sink };
        var id = InvocationId.New(3);
        invoker.Start(_deployment.Request(id, new JournalEntry(MessageType.InputCommand, new InputCommandMessage().ToByteArray())));
        return (await _sink.Failed.Task.WaitAsync(Patience)).Failure;
    }
}
