using Keel.Protocol.Messages;

namespace Keel.Server.Partitions;

/// <summary>Which of the three notification id spaces a leaf of a suspension tree names.</summary>
public enum AwaitedKind
{
    Completion,
    Signal,
    NamedSignal,
}

/// <summary>One notification a suspended invocation may wait on: a completion id, a signal id or a signal name.</summary>
public readonly record struct AwaitedNotification(AwaitedKind Kind, uint Id, string? Name)
{
    public static AwaitedNotification Completion(uint id) => new(AwaitedKind.Completion, id, null);

    public static AwaitedNotification Signal(uint id) => new(AwaitedKind.Signal, id, null);

    public static AwaitedNotification NamedSignal(string name) => new(AwaitedKind.NamedSignal, 0, name);

    /// <summary>The id a stored notification carries, or null when it has none.</summary>
    public static AwaitedNotification? Of(NotificationTemplate notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return notification.IdCase switch
        {
            NotificationTemplate.IdOneofCase.CompletionId => Completion(notification.CompletionId),
            NotificationTemplate.IdOneofCase.SignalId => Signal(notification.SignalId),
            NotificationTemplate.IdOneofCase.SignalName => NamedSignal(notification.SignalName),
            _ => null,
        };
    }

    public override string ToString() => Kind switch
    {
        AwaitedKind.Completion => $"completion {Id}",
        AwaitedKind.Signal => $"signal {Id}",
        _ => $"signal '{Name}'",
    };
}

/// <summary>How an arrived notification turned out, as far as the combinators care.</summary>
public enum NotificationOutcome
{
    /// <summary>A void, value, invocation id or state keys result.</summary>
    Success,

    /// <summary>A failure result.</summary>
    Failure,

    /// <summary>Arrived, but whether it succeeded is not known (no result recorded).</summary>
    Unknown,
}

/// <summary>
/// Decides whether a suspended invocation can make progress: the awaited <see cref="Future"/> tree of a
/// V7 SuspensionMessage evaluated against the notifications that have arrived, per the combinator of
/// each node. A V5/V6 SuspensionMessage (flat lists) is the same as one node with the UNKNOWN
/// combinator: any listed notification resumes. Pure; the state machine supplies the lookup.
/// </summary>
/// <remarks>
/// Semantics per node (a leaf completes when its notification has arrived, with that outcome):
/// <list type="bullet">
/// <item>UNKNOWN: complete once any child completes; its outcome cannot be told (the SDK computes it).</item>
/// <item>FIRST_COMPLETED (race): complete once any child completes, with that child's outcome (the first in list order).</item>
/// <item>ALL_COMPLETED (allSettled): complete, successfully, once every child completes.</item>
/// <item>FIRST_SUCCEEDED_OR_ALL_FAILED (any): succeeds on the first succeeded child; fails once every child failed.</item>
/// <item>ALL_SUCCEEDED_OR_FIRST_FAILED (all): fails on the first failed child; succeeds once every child succeeded.</item>
/// </list>
/// When one of the last two meets a child that completed with an unknown outcome, the tree cannot be
/// decided here and the answer is "resume": the SDK then settles it and suspends again if it must.
/// A node without children: UNKNOWN and FIRST_COMPLETED never complete, ALL_COMPLETED and
/// ALL_SUCCEEDED_OR_FIRST_FAILED succeed, FIRST_SUCCEEDED_OR_ALL_FAILED fails. A tree with no leaf at
/// all is not a valid suspension (see <see cref="IsEmpty"/>), and never resumes here.
/// Notifications only ever get added, so evaluating the whole tree against everything that arrived
/// gives the same answer as pruning it one notification at a time.
/// </remarks>
public static class SuspensionCondition
{
    /// <summary>The deepest nesting of futures the server accepts; deeper trees pause the invocation.</summary>
    public const int MaxDepth = 1000;

    /// <summary>
    /// Whether the awaited tree can be resolved now. <paramref name="arrived"/> says how each awaited
    /// notification turned out, or null when it has not arrived yet. An absent or empty tree never resumes.
    /// </summary>
    public static bool CanResume(Future? awaitingOn, Func<AwaitedNotification, NotificationOutcome?> arrived)
    {
        ArgumentNullException.ThrowIfNull(arrived);
        if (awaitingOn is null || IsEmpty(awaitingOn))
        {
            return false;
        }

        var state = Evaluate(awaitingOn, arrived);
        return state != State.Pending; // Undecidable also resumes: the SDK decides.
    }

    /// <summary>As <see cref="CanResume(Future?, Func{AwaitedNotification, NotificationOutcome?})"/>, over a table of arrived notifications.</summary>
    public static bool CanResume(Future? awaitingOn, IReadOnlyDictionary<AwaitedNotification, NotificationOutcome> arrived)
    {
        ArgumentNullException.ThrowIfNull(arrived);
        return CanResume(awaitingOn, n => arrived.TryGetValue(n, out var outcome) ? outcome : null);
    }

    /// <summary>A V5/V6 suspension resumes when any of the notifications it lists has arrived.</summary>
    public static bool CanResume(SuspensionMessageV6 suspension, Func<AwaitedNotification, NotificationOutcome?> arrived) =>
        CanResume(FromV6(suspension), arrived);

    /// <summary>
    /// How a stored notification turned out: a failure result is a failure, any other result (void,
    /// value, invocation id, state keys) a success, and no result at all an unknown outcome.
    /// </summary>
    public static NotificationOutcome OutcomeOf(NotificationTemplate notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return notification.ResultCase switch
        {
            NotificationTemplate.ResultOneofCase.Failure => NotificationOutcome.Failure,
            NotificationTemplate.ResultOneofCase.None => NotificationOutcome.Unknown,
            _ => NotificationOutcome.Success,
        };
    }

    /// <summary>The V5/V6 flat lists as the equivalent tree: one UNKNOWN node ("any of them").</summary>
    public static Future FromV6(SuspensionMessageV6 suspension)
    {
        ArgumentNullException.ThrowIfNull(suspension);
        var future = new Future { CombinatorType = CombinatorType.Unknown };
        future.WaitingCompletions.AddRange(suspension.WaitingCompletions);
        future.WaitingSignals.AddRange(suspension.WaitingSignals);
        future.WaitingNamedSignals.AddRange(suspension.WaitingNamedSignals);
        return future;
    }

    /// <summary>
    /// The awaited tree of a SuspensionMessage payload: the V7 message's <c>awaiting_on</c> (null when
    /// absent) for version 7 and up, else the V5/V6 flat lists as one UNKNOWN node.
    /// </summary>
    public static Future? Decode(ReadOnlySpan<byte> payload, int protocolVersion) =>
        protocolVersion >= 7
            ? SuspensionMessage.Parser.ParseFrom(payload).AwaitingOn
            : FromV6(SuspensionMessageV6.Parser.ParseFrom(payload));

    /// <summary>Every notification named anywhere in the tree, once each (for indexing who waits on what).</summary>
    public static IReadOnlySet<AwaitedNotification> Leaves(Future? awaitingOn)
    {
        var leaves = new HashSet<AwaitedNotification>();
        if (awaitingOn is null)
        {
            return leaves;
        }

        var pending = new Stack<Future>();
        pending.Push(awaitingOn);
        while (pending.TryPop(out var node))
        {
            foreach (var id in node.WaitingCompletions)
            {
                leaves.Add(AwaitedNotification.Completion(id));
            }

            foreach (var id in node.WaitingSignals)
            {
                leaves.Add(AwaitedNotification.Signal(id));
            }

            foreach (var name in node.WaitingNamedSignals)
            {
                leaves.Add(AwaitedNotification.NamedSignal(name));
            }

            foreach (var nested in node.NestedFutures)
            {
                pending.Push(nested);
            }
        }

        return leaves;
    }

    /// <summary>The flat lists of a V5/V6 suspension, once each.</summary>
    public static IReadOnlySet<AwaitedNotification> Leaves(SuspensionMessageV6 suspension) => Leaves(FromV6(suspension));

    /// <summary>Whether the tree names no notification at all (the server rejects such a suspension).</summary>
    public static bool IsEmpty(Future? awaitingOn) => Leaves(awaitingOn).Count == 0;

    /// <summary>How deeply futures nest: 0 for a node without nested futures, 1 for one whose children have none, and so on.</summary>
    public static int Depth(Future awaitingOn)
    {
        ArgumentNullException.ThrowIfNull(awaitingOn);
        var deepest = 0;
        var pending = new Stack<(Future Node, int Depth)>();
        pending.Push((awaitingOn, 0));
        while (pending.TryPop(out var item))
        {
            deepest = Math.Max(deepest, item.Depth);
            foreach (var nested in item.Node.NestedFutures)
            {
                pending.Push((nested, item.Depth + 1));
            }
        }

        return deepest;
    }

    /// <summary>Whether the tree nests deeper than <paramref name="maxDepth"/> (default <see cref="MaxDepth"/>).</summary>
    public static bool IsTooDeep(Future awaitingOn, int maxDepth = MaxDepth) => Depth(awaitingOn) > maxDepth;

    private enum State
    {
        Pending,
        Succeeded,
        Failed,

        /// <summary>Completed, outcome not known.</summary>
        SucceededOrFailed,

        /// <summary>The outcome of a child matters but is not known: stop and let the SDK decide.</summary>
        Undecidable,
    }

    private static State Evaluate(Future node, Func<AwaitedNotification, NotificationOutcome?> arrived)
    {
        var children = Children(node, arrived);
        switch (node.CombinatorType)
        {
            case CombinatorType.FirstCompleted:
                foreach (var child in children)
                {
                    if (child != State.Pending)
                    {
                        return child;
                    }
                }

                return State.Pending;

            case CombinatorType.AllCompleted:
            {
                // Every child is looked at: one that cannot be decided anywhere below still matters.
                var allCompleted = true;
                foreach (var child in children)
                {
                    if (child == State.Undecidable)
                    {
                        return child;
                    }

                    allCompleted &= child != State.Pending;
                }

                return allCompleted ? State.Succeeded : State.Pending;
            }

            case CombinatorType.FirstSucceededOrAllFailed:
            {
                var allFailed = true;
                foreach (var child in children)
                {
                    switch (child)
                    {
                        case State.Succeeded:
                            return State.Succeeded;
                        case State.SucceededOrFailed or State.Undecidable:
                            return State.Undecidable;
                        case State.Pending:
                            allFailed = false;
                            break;
                    }
                }

                return allFailed ? State.Failed : State.Pending;
            }

            case CombinatorType.AllSucceededOrFirstFailed:
            {
                var allSucceeded = true;
                foreach (var child in children)
                {
                    switch (child)
                    {
                        case State.Failed:
                            return State.Failed;
                        case State.SucceededOrFailed or State.Undecidable:
                            return State.Undecidable;
                        case State.Pending:
                            allSucceeded = false;
                            break;
                    }
                }

                return allSucceeded ? State.Succeeded : State.Pending;
            }

            default:
                // UNKNOWN, and any value this server does not know, act as "first completed" whose
                // outcome cannot be told from its children.
                foreach (var child in children)
                {
                    if (child == State.Undecidable)
                    {
                        return child;
                    }

                    if (child != State.Pending)
                    {
                        return State.SucceededOrFailed;
                    }
                }

                return State.Pending;
        }
    }

    /// <summary>The states of a node's children, lazily, in wire order: its leaves first, then its nested futures.</summary>
    private static IEnumerable<State> Children(Future node, Func<AwaitedNotification, NotificationOutcome?> arrived)
    {
        foreach (var id in node.WaitingCompletions)
        {
            yield return Leaf(arrived(AwaitedNotification.Completion(id)));
        }

        foreach (var id in node.WaitingSignals)
        {
            yield return Leaf(arrived(AwaitedNotification.Signal(id)));
        }

        foreach (var name in node.WaitingNamedSignals)
        {
            yield return Leaf(arrived(AwaitedNotification.NamedSignal(name)));
        }

        foreach (var nested in node.NestedFutures)
        {
            yield return Evaluate(nested, arrived);
        }
    }

    private static State Leaf(NotificationOutcome? outcome) => outcome switch
    {
        null => State.Pending,
        NotificationOutcome.Success => State.Succeeded,
        NotificationOutcome.Failure => State.Failed,
        _ => State.SucceededOrFailed,
    };
}
