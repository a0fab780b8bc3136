using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;
using Keel.Server.Storage;
using Keel.Server.Telemetry;

namespace Keel.Server.Core.Tests.Telemetry;

/// <summary>The W3C trace context an invocation remembers: parsed leniently, stored durably, handed to calls and sends.</summary>
public class TracePropagationTests
{
    private const string Client = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private const string CallSpan = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private readonly MemoryStore _store = new();
    private readonly StateMachine _machine = new(new FakeSchema(), new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not-a-trace-context")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331")]
    [InlineData("00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")]
    [InlineData("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01")]
    public void Missing_or_malformed_traceparent_is_ignored(string? header) =>
        Assert.Null(TraceContext.Parse(header, "vendor=1"));

    [Fact]
    public void A_valid_traceparent_is_kept_with_its_tracestate_unless_that_is_too_long()
    {
        Assert.Equal(new TraceContext(Client, "congo=t61rcWkgMzE"), TraceContext.Parse(" " + Client + " ", "congo=t61rcWkgMzE"));
        Assert.Equal(new TraceContext(Client), TraceContext.Parse(Client, new string('a', TraceContext.MaxTraceStateLength + 1)));
        Assert.Equal(new TraceContext(Client), TraceContext.Parse(Client, "  "));
        Assert.NotEqual(default, new TraceContext(Client).ToActivityContext());
    }

    [Fact]
    public void The_trace_context_survives_the_status_record_and_old_records_have_none()
    {
        var traced = new InvocationRecord { Id = InvocationId.New(1), Service = "Greeter", Handler = "greet", Trace = new TraceContext(Client, "a=b") };
        Assert.Equal(traced.Trace, RecordCodec.DecodeInvocation(traced.Id, RecordCodec.Encode(traced)).Trace);

        var untraced = new InvocationRecord { Id = InvocationId.New(2), Service = "Greeter", Handler = "greet" };
        Assert.Null(RecordCodec.DecodeInvocation(untraced.Id, RecordCodec.Encode(untraced)).Trace);
    }

    [Fact]
    public void The_trace_context_survives_the_outbox_hand_over()
    {
        var op = new RemoteOp.CreateChild("inv_1", "Greeter", "greet", "", [1], [], null, "inv_2", 3, null, new TraceContext(CallSpan, "x=y"));
        var decoded = (RemoteOp.CreateChild)OutboxCodec.Decode(OutboxCodec.Encode(1, op)).Op;
        Assert.Equal(op.Trace, decoded.Trace);
        Assert.Null(((RemoteOp.CreateChild)OutboxCodec.Decode(OutboxCodec.Encode(1, op with { Trace = null })).Op).Trace);
    }

    [Fact]
    public void An_ingress_request_s_trace_goes_with_every_attempt_of_its_invocation()
    {
        var attempt = Submit(new TraceContext(Client));
        Assert.Equal(new TraceContext(Client), attempt.Trace);

        var retry = Apply(new PartitionCommand.Effect(new InvokerEffect.Failed(attempt.Id, attempt.Attempt, new AttemptFailure(500, "boom"))));
        var again = Apply(new PartitionCommand.TimerFired(retry.OfType<PartitionAction.ScheduleTimer>().Single().Key)).OfType<PartitionAction.Invoke>().Single().Request;
        Assert.Equal(new TraceContext(Client), again.Trace);
    }

    [Fact]
    public void A_call_continues_the_span_that_issued_it()
    {
        var caller = Submit(new TraceContext(Client));
        var child = Call(caller, new TraceContext(CallSpan));
        Assert.Equal(new TraceContext(CallSpan), child.Trace);
    }

    [Fact]
    public void A_call_without_a_span_continues_its_caller_s_trace()
    {
        var caller = Submit(new TraceContext(Client));
        Assert.Equal(new TraceContext(Client), Call(caller, null).Trace);
        Assert.Null(Call(Submit(null), null).Trace);
    }

    [Theory]
    [InlineData(0, null, "completed")]
    [InlineData(409, "killed", "killed")]
    [InlineData(409, "canceled", "cancelled")]
    [InlineData(500, "boom", "failed")]
    public void Ended_invocations_are_counted_by_outcome(ushort code, string? message, string outcome)
    {
        InvocationResult result = code == 0 ? new InvocationResult.Success(ReadOnlyMemory<byte>.Empty) : new InvocationResult.Failure(code, message!);
        Assert.Equal(outcome, ServerTelemetry.Outcome(result));
    }

    private InvokeRequest Submit(TraceContext? trace)
    {
        var request = new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, false, Trace: trace);
        return Apply(Commands.Submit(request)).OfType<PartitionAction.Invoke>().Single().Request;
    }

    private InvokeRequest Call(InvokeRequest caller, TraceContext? span)
    {
        var call = new CallCommandMessage { ServiceName = "Greeter", HandlerName = "greet", InvocationIdNotificationIdx = 1, ResultCompletionId = 2 };
        var effect = new InvokerEffect.Command(caller.Id, caller.Attempt, 1, new JournalEntry(MessageType.CallCommand, call.ToByteArray()), false, span);
        return Apply(new PartitionCommand.Effect(effect)).OfType<PartitionAction.Invoke>().Single().Request;
    }

    private List<PartitionAction> Apply(PartitionCommand command)
    {
        var tx = new Transaction(_store);
        var actions = _machine.Apply(new Tables(tx), command, Now).Actions;
        tx.Commit();
        return actions;
    }
}
