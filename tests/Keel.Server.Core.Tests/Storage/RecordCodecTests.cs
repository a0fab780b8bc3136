using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Server.Model;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Storage;

public class RecordCodecTests
{
    [Fact]
    public void A_status_record_survives_encoding_field_for_field()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_123);
        var record = new InvocationRecord
        {
            Id = InvocationId.New(42, at),
            Service = "Counter",
            Handler = "add",
            Key = "",
            ServiceType = ServiceType.VirtualObject,
            HandlerKind = HandlerType.Exclusive,
            Phase = InvocationPhase.Suspended,
            Attempt = 3,
            DeploymentId = "dp_1",
            ProtocolVersion = 7,
            JournalLength = 9,
            CommandCount = 4,
            RetryCountSinceLastStoredEntry = 2,
            FailedAttempts = 5,
            LastStoredEntryAt = at,
            CallerId = "inv_1abc",
            CallerCompletionId = 0,
            AttachedCallers = [new CallerRef("inv_2", 7, 0x8012)],
            IdempotencyKey = "ik",
            RandomSeed = ulong.MaxValue,
            CreatedAt = at,
            ExecutionTime = at.AddDays(1),
            PendingOutput = ResultRecord.Ok([1, 2]),
            Result = ResultRecord.Fail(418, "teapot", new Dictionary<string, string> { ["a"] = "b" }),
            LastFailure = new FailureInfo(500, "boom", 3, 1, "run", 0x0411),
            RetainUntil = at.AddHours(24),
            WaitingCompletions = [1, 2],
            WaitingSignals = [17],
            WaitingNamedSignals = ["go"],
            Awaiting = [8, 1],
            InboxSequence = 12,
            ModifiedAt = at,
            NextRetryAt = at.AddSeconds(1),
        };

        var decoded = RecordCodec.DecodeInvocation(record.Id, RecordCodec.Encode(record));

        Assert.Equivalent(record, decoded, strict: true);
        Assert.Equal("", decoded.Key);
        Assert.Equal(0u, decoded.CallerCompletionId);
    }

    [Fact]
    public void Absent_optional_fields_stay_absent()
    {
        var record = new InvocationRecord { Id = InvocationId.New(1), Service = "Greeter", Handler = "greet" };
        var decoded = RecordCodec.DecodeInvocation(record.Id, RecordCodec.Encode(record));
        Assert.Null(decoded.Key);
        Assert.Null(decoded.HandlerKind);
        Assert.Null(decoded.CallerCompletionId);
        Assert.Null(decoded.Result);
        Assert.Null(decoded.LastFailure);
        Assert.Null(decoded.RetainUntil);
    }
}
