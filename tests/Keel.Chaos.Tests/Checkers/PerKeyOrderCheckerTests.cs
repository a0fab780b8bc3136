using Keel.Chaos.Checkers;

namespace Keel.Chaos.Tests.Checkers;

public class PerKeyOrderCheckerTests
{
    private static readonly SentMessage[] Sent =
    [
        new("h1", "k", 1, true), new("h1", "k", 2, true), new("h1", "k", 3, true),
        new("h2", "k", 1, true), new("h2", "k", 2, false),
        new("h1", "other", 4, true),
    ];

    private static CheckResult Check(IReadOnlyList<ReceivedMessage> atK, IReadOnlyList<ReceivedMessage>? atOther = null) =>
        PerKeyOrderChecker.Check(Sent, new Dictionary<string, IReadOnlyList<ReceivedMessage>>
        {
            ["k"] = atK,
            ["other"] = atOther ?? [new("h1", 4)],
        });

    [Fact]
    public void Each_senders_messages_in_send_order_interleaved_with_others_are_valid()
    {
        // h2#2 was never acknowledged: it may be missing.
        var result = Check([new("h2", 1), new("h1", 1), new("h1", 2), new("h2", 2), new("h1", 3)]);

        Assert.True(result.IsValid, result.ToString());
        Assert.True(Check([new("h1", 1), new("h2", 1), new("h1", 2), new("h1", 3)]).IsValid);
    }

    [Fact]
    public void A_message_received_before_one_its_sender_sent_earlier_is_out_of_order()
    {
        var result = Check([new("h1", 2), new("h1", 1), new("h2", 1), new("h1", 3)]);

        Assert.Equal(Verdict.Invalid, result.Verdict);
        Assert.Contains("key k: h1#1 received at position 1 after h1#2, which was sent later", result.Problems);
    }

    [Fact]
    public void Duplicates_losses_and_strangers_are_reported()
    {
        var result = Check([new("h1", 1), new("h1", 1), new("h1", 2), new("h2", 1), new("h1", 9)], atOther: []);

        Assert.Contains("key k: h1#1 received twice (again at position 1)", result.Problems);
        Assert.Contains("key k: h1#9 received at position 4 but never sent to this key", result.Problems);
        Assert.Contains("key k: h1#3 sent (acknowledged) but never received", result.Problems);
        Assert.Contains("key other: h1#4 sent (acknowledged) but never received", result.Problems);
    }
}
