using Keel.Server.Partitions;

namespace Keel.Server.Core.Tests.Partitions;

public class OutboxCodecTests
{
    public static TheoryData<RemoteOp> Ops() =>
    [
        new RemoteOp.CreateChild("inv_1", "Counter", "add", "k", [1, 2], [KeyValuePair.Create("h", "v")], "ik", "inv_2", 3, DateTimeOffset.FromUnixTimeMilliseconds(1234)),
        new RemoteOp.CreateChild("inv_1", "Greeter", "greet", "", [], [], null, null, null, null),
        new RemoteOp.NotifyInvocation("inv_3", 0x8002, [9]),
        new RemoteOp.CancelInvocation("inv_4"),
        new RemoteOp.KillInvocation("inv_5"),
        new RemoteOp.GetResult(new ResultTarget("inv_6"), "inv_7", 4, Wait: true),
        new RemoteOp.GetResult(new ResultTarget(null, "Signup", "wf", null, null), "inv_7", 5, Wait: false),
        new RemoteOp.GetResult(new ResultTarget(null, "Greeter", null, "greet", "ik"), "inv_7", 6, Wait: true),
    ];

    [Theory]
    [MemberData(nameof(Ops))]
    public void Every_hand_over_survives_encoding(RemoteOp op)
    {
        var (target, decoded, _) = OutboxCodec.Decode(OutboxCodec.Encode(3, op));
        Assert.Equal(3, target);
        Assert.Equivalent(op, decoded, strict: true);
    }
}
