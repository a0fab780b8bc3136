using Google.Protobuf;
using Keel.Protocol.Messages;
using Keel.Server.Partitions;

namespace Keel.Server.Core.Tests;

/// <summary>
/// The suspension tree against arrived notifications. Trees are written as
/// <c>kind(child, …)</c> with kinds unknown, race (FIRST_COMPLETED), settled (ALL_COMPLETED),
/// any (FIRST_SUCCEEDED_OR_ALL_FAILED) and all (ALL_SUCCEEDED_OR_FIRST_FAILED); leaves are
/// <c>c7</c> (completion), <c>s1</c> (signal) and <c>n:name</c> (named signal). Arrivals are leaves
/// followed by <c>+</c> (success), <c>-</c> (failure) or <c>?</c> (outcome unknown).
/// </summary>
public class SuspensionConditionTests
{
    [Theory]
    // A single leaf, as shared-core sends it: FIRST_COMPLETED with one id.
    [InlineData("race(c1)", "", false)]
    [InlineData("race(c1)", "c1+", true)]
    [InlineData("race(c1)", "c1-", true)]
    [InlineData("race(c1)", "c2+", false)]
    [InlineData("race(n:done)", "n:done+", true)]
    [InlineData("race(n:done)", "n:other+", false)]
    // Each id space is separate: completion 1 is not signal 1.
    [InlineData("race(s1)", "c1+", false)]
    [InlineData("race(s1)", "s1+", true)]
    // FIRST_COMPLETED: any child, whatever its outcome.
    [InlineData("race(c1, c2, s1)", "c2-", true)]
    [InlineData("race(c1, c2, s1)", "s1+", true)]
    [InlineData("race(c1, c2, s1)", "c3+", false)]
    // ALL_COMPLETED: every child, whatever the outcomes.
    [InlineData("settled(c1, c2)", "c1+", false)]
    [InlineData("settled(c1, c2)", "c1+ c2-", true)]
    [InlineData("settled(c1, c2)", "c1- c2-", true)]
    [InlineData("settled(c1, c2)", "c1? c2?", true)]
    // FIRST_SUCCEEDED_OR_ALL_FAILED: one success, or every child failed.
    [InlineData("any(c1, c2)", "c1-", false)]
    [InlineData("any(c1, c2)", "c2+", true)]
    [InlineData("any(c1, c2)", "c1- c2-", true)]
    [InlineData("any(c1, c2)", "c1- c2+", true)]
    // ALL_SUCCEEDED_OR_FIRST_FAILED: one failure, or every child succeeded.
    [InlineData("all(c1, c2)", "c1+", false)]
    [InlineData("all(c1, c2)", "c2-", true)]
    [InlineData("all(c1, c2)", "c1+ c2+", true)]
    // UNKNOWN: any child.
    [InlineData("unknown(c1, s5)", "", false)]
    [InlineData("unknown(c1, s5)", "s5-", true)]
    // An outcome that cannot be told where it matters: resume and let the SDK decide.
    [InlineData("any(c1, c2)", "c1?", true)]
    [InlineData("all(c1, c2)", "c2?", true)]
    [InlineData("all(c1, unknown(c2, c3))", "c3+", true)]
    [InlineData("any(c1, unknown(c2))", "c2-", true)]
    public void A_flat_node_follows_its_combinator(string tree, string arrived, bool expected) =>
        Assert.Equal(expected, SuspensionCondition.CanResume(Tree(tree), Arrivals(arrived)));

    [Theory]
    // The TS SDK's implicit cancellation: race(user future, signal 1); a cancel always resumes.
    [InlineData("race(s1, all(c1, c2))", "s1+", true)]
    [InlineData("race(s1, all(c1, c2))", "c1+", false)]
    [InlineData("race(s1, all(c1, c2))", "c1+ c2+", true)]
    [InlineData("race(s1, all(c1, c2))", "c2-", true)]
    [InlineData("race(s1, any(c1, c2))", "c1- c2-", true)]
    [InlineData("race(s1, any(c1, c2))", "c1-", false)]
    // A nested node completes as a whole, with its own outcome.
    [InlineData("all(c1, any(c2, c3))", "c1+ c2-", false)]
    [InlineData("all(c1, any(c2, c3))", "c1+ c2- c3+", true)]
    [InlineData("all(c1, any(c2, c3))", "c1+ c2- c3-", true)] // any failed, so all fails: resolved
    [InlineData("all(c1, settled(c2, c3))", "c1+ c2- c3-", true)] // settled always succeeds
    [InlineData("all(c1, settled(c2, c3))", "c2- c3-", false)]
    [InlineData("any(c1, all(c2, c3))", "c2+", false)]
    [InlineData("any(c1, all(c2, c3))", "c2+ c3+", true)]
    [InlineData("any(c1, all(c2, c3))", "c2- c1-", true)] // both children failed
    [InlineData("any(c1, all(c2, c3))", "c2-", false)]
    [InlineData("settled(race(c1, c2), race(s2, n:x))", "c2+ n:x-", true)]
    [InlineData("settled(race(c1, c2), race(s2, n:x))", "c2+", false)]
    // The outcome of a nested race is that of its completed child.
    [InlineData("all(c1, race(c2, c3))", "c1+ c3+", true)]
    [InlineData("all(c1, race(c2, c3))", "c3-", true)]
    [InlineData("all(c1, race(c2, c3))", "c3+", false)]
    // An undecidable node deep down resumes the whole tree, even under a waiting parent.
    [InlineData("settled(c1, all(c2, unknown(c3)))", "c3+", true)]
    [InlineData("race(s1, any(c1, all(c2, unknown(c3))))", "c3-", true)]
    // Three levels.
    [InlineData("race(s1, all(c1, any(c2, settled(c3, c4))))", "c1+ c3+", false)]
    [InlineData("race(s1, all(c1, any(c2, settled(c3, c4))))", "c1+ c3+ c4-", true)]
    [InlineData("race(s1, all(c1, any(c2, settled(c3, c4))))", "c1+ c2-", false)]
    public void A_nested_tree_is_evaluated_node_by_node(string tree, string arrived, bool expected) =>
        Assert.Equal(expected, SuspensionCondition.CanResume(Tree(tree), Arrivals(arrived)));

    [Theory]
    // Nested nodes without children: settled and all succeed at once, any fails at once, race and unknown never complete.
    [InlineData("all(c1, settled())", "c1+", true)]
    [InlineData("all(c1, all())", "c1+", true)]
    [InlineData("any(c1, any())", "c1-", true)]
    [InlineData("any(c1, any())", "", false)]
    [InlineData("settled(c1, race())", "c1+", false)]
    [InlineData("settled(c1, unknown())", "c1+", false)]
    public void A_childless_nested_node_resolves_as_its_combinator_says(string tree, string arrived, bool expected) =>
        Assert.Equal(expected, SuspensionCondition.CanResume(Tree(tree), Arrivals(arrived)));

    [Theory]
    [InlineData("settled()")]
    [InlineData("all(any(), settled())")]
    public void A_tree_without_leaves_is_empty_and_never_resumes(string tree)
    {
        Assert.True(SuspensionCondition.IsEmpty(Tree(tree)));
        Assert.False(SuspensionCondition.CanResume(Tree(tree), Arrivals("c1+")));
    }

    [Fact]
    public void An_absent_tree_is_empty_and_never_resumes()
    {
        Assert.True(SuspensionCondition.IsEmpty(null));
        Assert.Empty(SuspensionCondition.Leaves((Future?)null));
        Assert.False(SuspensionCondition.CanResume((Future?)null, Arrivals("c1+")));
        Assert.Null(SuspensionCondition.Decode(new SuspensionMessage().ToByteArray(), 7));
    }

    [Fact]
    public void A_combinator_this_server_does_not_know_resumes_on_any_child()
    {
        var future = Tree("race(c1, c2)");
        future.CombinatorType = (CombinatorType)42;
        Assert.False(SuspensionCondition.CanResume(future, Arrivals("")));
        Assert.True(SuspensionCondition.CanResume(future, Arrivals("c2-")));
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("c9+", false)]
    [InlineData("c2+", true)]
    [InlineData("c3-", true)]
    [InlineData("s1+", true)]
    [InlineData("n:wake?", true)]
    public void A_v6_suspension_resumes_on_any_listed_notification(string arrived, bool expected)
    {
        var v6 = new SuspensionMessageV6 { WaitingCompletions = { 2, 3 }, WaitingSignals = { 1 }, WaitingNamedSignals = { "wake" } };
        Assert.Equal(expected, SuspensionCondition.CanResume(v6, n => Arrivals(arrived).TryGetValue(n, out var o) ? o : null));
        Assert.Equal(expected, SuspensionCondition.CanResume(SuspensionCondition.Decode(v6.ToByteArray(), 6), Arrivals(arrived)));
    }

    [Fact]
    public void Leaves_are_every_id_of_the_tree_once()
    {
        var leaves = SuspensionCondition.Leaves(Tree("race(s1, c4, all(c1, c4, any(n:a, s1, settled(c2))), unknown(n:b))"));
        Assert.Equal(
            new HashSet<AwaitedNotification>
            {
                AwaitedNotification.Signal(1), AwaitedNotification.Completion(4), AwaitedNotification.Completion(1),
                AwaitedNotification.NamedSignal("a"), AwaitedNotification.Completion(2), AwaitedNotification.NamedSignal("b"),
            },
            leaves);
        Assert.Equal(3, SuspensionCondition.Leaves(new SuspensionMessageV6 { WaitingCompletions = { 2, 2 }, WaitingSignals = { 2 }, WaitingNamedSignals = { "2" } }).Count);
    }

    [Fact]
    public void A_v7_payload_decodes_to_its_tree()
    {
        var tree = Tree("race(s1, all(c1, c2))");
        var payload = new SuspensionMessage { AwaitingOn = tree }.ToByteArray();
        Assert.Equal(tree, SuspensionCondition.Decode(payload, 7));
    }

    [Theory]
    [InlineData("race(c1)", 0)]
    [InlineData("race(c1, all(c2), any(c3))", 1)]
    [InlineData("race(all(any(c1)), c2)", 2)]
    public void Depth_counts_nesting_levels(string tree, int depth)
    {
        Assert.Equal(depth, SuspensionCondition.Depth(Tree(tree)));
        Assert.False(SuspensionCondition.IsTooDeep(Tree(tree), depth));
        if (depth > 0)
        {
            Assert.True(SuspensionCondition.IsTooDeep(Tree(tree), depth - 1));
        }
    }

    [Fact]
    public void A_tree_deeper_than_the_limit_is_too_deep()
    {
        var future = Tree("race(c1)");
        for (var i = 0; i < SuspensionCondition.MaxDepth; i++)
        {
            future = new Future { CombinatorType = CombinatorType.FirstCompleted, NestedFutures = { future } };
        }

        Assert.False(SuspensionCondition.IsTooDeep(future));
        future = new Future { CombinatorType = CombinatorType.FirstCompleted, NestedFutures = { future } };
        Assert.True(SuspensionCondition.IsTooDeep(future));
        Assert.True(SuspensionCondition.CanResume(future, Arrivals("c1+")));
    }

    [Fact]
    public void A_stored_notification_names_its_id()
    {
        Assert.Equal(AwaitedNotification.Completion(3), AwaitedNotification.Of(new NotificationTemplate { CompletionId = 3, Void = new Unit() }));
        Assert.Equal(AwaitedNotification.Signal(1), AwaitedNotification.Of(new NotificationTemplate { SignalId = 1 }));
        Assert.Equal(AwaitedNotification.NamedSignal("x"), AwaitedNotification.Of(new NotificationTemplate { SignalName = "x" }));
        Assert.Null(AwaitedNotification.Of(new NotificationTemplate()));
    }

    [Fact]
    public void A_stored_notification_has_an_outcome()
    {
        Assert.Equal(NotificationOutcome.Success, SuspensionCondition.OutcomeOf(new NotificationTemplate { CompletionId = 1, Void = new Unit() }));
        Assert.Equal(NotificationOutcome.Success, SuspensionCondition.OutcomeOf(new NotificationTemplate { CompletionId = 1, Value = new Value() }));
        Assert.Equal(NotificationOutcome.Success, SuspensionCondition.OutcomeOf(new NotificationTemplate { CompletionId = 1, InvocationId = "inv_1" }));
        Assert.Equal(NotificationOutcome.Success, SuspensionCondition.OutcomeOf(new NotificationTemplate { CompletionId = 1, StateKeys = new StateKeys() }));
        Assert.Equal(NotificationOutcome.Failure, SuspensionCondition.OutcomeOf(new NotificationTemplate { SignalId = 1, Failure = new Failure { Code = 409 } }));
        Assert.Equal(NotificationOutcome.Unknown, SuspensionCondition.OutcomeOf(new NotificationTemplate { SignalName = "x" }));
    }

    private static Dictionary<AwaitedNotification, NotificationOutcome> Arrivals(string spec)
    {
        var arrived = new Dictionary<AwaitedNotification, NotificationOutcome>();
        foreach (var item in spec.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var outcome = item[^1] switch
            {
                '+' => NotificationOutcome.Success,
                '-' => NotificationOutcome.Failure,
                '?' => NotificationOutcome.Unknown,
                _ => throw new ArgumentException(item),
            };
            arrived[LeafOf(item[..^1])] = outcome;
        }

        return arrived;
    }

    private static AwaitedNotification LeafOf(string text) => text switch
    {
        ['c', .. var id] => AwaitedNotification.Completion(uint.Parse(id, System.Globalization.CultureInfo.InvariantCulture)),
        ['s', .. var id] => AwaitedNotification.Signal(uint.Parse(id, System.Globalization.CultureInfo.InvariantCulture)),
        ['n', ':', .. var name] => AwaitedNotification.NamedSignal(name),
        _ => throw new ArgumentException(text),
    };

    private static Future Tree(string text)
    {
        var position = 0;
        var future = Node(text.Replace(" ", "", StringComparison.Ordinal), ref position);
        Assert.Equal(text.Replace(" ", "", StringComparison.Ordinal).Length, position);
        return future;
    }

    private static Future Node(string text, ref int position)
    {
        var open = text.IndexOf('(', position);
        var combinator = text[position..open] switch
        {
            "unknown" => CombinatorType.Unknown,
            "race" => CombinatorType.FirstCompleted,
            "settled" => CombinatorType.AllCompleted,
            "any" => CombinatorType.FirstSucceededOrAllFailed,
            "all" => CombinatorType.AllSucceededOrFirstFailed,
            var other => throw new ArgumentException(other),
        };
        var future = new Future { CombinatorType = combinator };
        position = open + 1;
        while (text[position] != ')')
        {
            var end = text.IndexOfAny([',', ')', '('], position);
            if (text[end] == '(')
            {
                future.NestedFutures.Add(Node(text, ref position));
            }
            else
            {
                var leaf = LeafOf(text[position..end]);
                switch (leaf.Kind)
                {
                    case AwaitedKind.Completion: future.WaitingCompletions.Add(leaf.Id); break;
                    case AwaitedKind.Signal: future.WaitingSignals.Add(leaf.Id); break;
                    default: future.WaitingNamedSignals.Add(leaf.Name!); break;
                }

                position = end;
            }

            if (text[position] == ',')
            {
                position++;
            }
        }

        position++;
        return future;
    }
}
