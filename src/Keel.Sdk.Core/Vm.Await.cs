using Keel.Protocol.Framing;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Core;

/// <summary>Awaiting: resolving future trees, suspension, implicit cancellation.</summary>
public sealed partial class Vm
{
    private readonly HashSet<uint> _cancelledChildren = [];

    // Set once an await has seen the CANCEL signal, until it returns Cancelled: that await's outcome is
    // decided (cancelled) even if its result arrives while it waits for child ids, so a replay agrees.
    private bool _cancelling;

    public bool IsCancelSignalPending => _cancelling || _notifications.Contains(NotificationId.Cancel);

    public AwaitResult DoAwait(UnresolvedFuture future)
    {
        ArgumentNullException.ThrowIfNull(future);
        ThrowIfFailed();
        if (IsOutputClosed)
        {
            throw new InvalidOperationException("The VM output is closed.");
        }

        while (true)
        {
            if (!_cancelling && Evaluate(future).Resolved)
            {
                return new AwaitResult.Completed();
            }

            if (_options.ImplicitCancellation && (_cancelling || _notifications.IsReady(NotificationId.Cancel)))
            {
                _cancelling = true;
                // A child call made just before (or after) the cancel arrived may not know its
                // invocation id yet: wait for it, or it would escape the cancellation and keep running.
                var unknown = ChildCallsWithoutId();
                if (unknown.Count == 0)
                {
                    CancelChildCalls();
                    _notifications.Take(NotificationId.Cancel, out _);
                    _cancelling = false;
                    return new AwaitResult.Cancelled();
                }

                if (!_inputClosed)
                {
                    return new AwaitResult.WaitExternalProgress();
                }

                WriteSuspension(new UnresolvedFuture.Combinator(CombinatorKind.AllCompleted, [.. unknown.Select(h => new UnresolvedFuture.Single(h))]));
                return new AwaitResult.Suspended();
            }

            if (_notifications.PromoteOne())
            {
                continue;
            }

            if (RunToExecute(future) is { } run)
            {
                return new AwaitResult.ExecuteRun(run);
            }

            if (IsReplaying)
            {
                throw Fail(570, "Journal mismatch: the code awaits a result that is not in the journal while journaled commands remain to replay.");
            }

            if (!_inputClosed || AnyRunExecuting)
            {
                return new AwaitResult.WaitExternalProgress();
            }

            WriteSuspension(future);
            return new AwaitResult.Suspended();
        }
    }

    public bool IsCompleted(NotificationHandle handle) => _notifications.IsReady(IdOf(handle));

    public NotificationResult? TakeNotification(NotificationHandle handle) =>
        _notifications.Take(IdOf(handle), out var result) ? result : null;

    private (bool Resolved, bool Succeeded) Evaluate(UnresolvedFuture future)
    {
        switch (future)
        {
            case UnresolvedFuture.Single single:
                return _notifications.TryGetReady(IdOf(single.Handle), out var result)
                    ? (true, result is not NotificationResult.Failure)
                    : (false, false);
            case UnresolvedFuture.Combinator combinator:
                var children = combinator.Children.Select(Evaluate).ToList();
                var all = children.All(c => c.Resolved);
                return combinator.Kind switch
                {
                    CombinatorKind.FirstCompleted => children.FirstOrDefault(c => c.Resolved) is { Resolved: true } first ? first : (false, false),
                    CombinatorKind.AllCompleted => (all, true),
                    CombinatorKind.FirstSucceededOrAllFailed => children.Any(c => c.Resolved && c.Succeeded) ? (true, true) : (all, false),
                    CombinatorKind.AllSucceededOrFirstFailed => children.Any(c => c.Resolved && !c.Succeeded) ? (true, false) : (all, true),
                    _ => throw new ArgumentOutOfRangeException(nameof(future)),
                };
            default:
                throw new ArgumentOutOfRangeException(nameof(future));
        }
    }

    private static IEnumerable<NotificationHandle> Leaves(UnresolvedFuture future) => future switch
    {
        UnresolvedFuture.Single s => [s.Handle],
        UnresolvedFuture.Combinator c => c.Children.SelectMany(Leaves),
        _ => [],
    };

    /// <summary>Child calls not cancelled yet whose invocation id has not arrived (promoting notifications in order until it does).</summary>
    private List<NotificationHandle> ChildCallsWithoutId()
    {
        var unknown = new List<NotificationHandle>();
        foreach (var handle in _childCallIds)
        {
            var id = IdOf(handle);
            while (!_notifications.IsReady(id) && _notifications.PromoteOne())
            {
            }

            if (!_cancelledChildren.Contains(id.Index) && !_notifications.IsReady(id))
            {
                unknown.Add(handle);
            }
        }

        return unknown;
    }

    /// <summary>Sends CANCEL to every child call made so far whose invocation id is known.</summary>
    private void CancelChildCalls()
    {
        foreach (var handle in _childCallIds)
        {
            var id = IdOf(handle);
            while (!_notifications.IsReady(id) && _notifications.PromoteOne())
            {
            }

            if (_cancelledChildren.Contains(id.Index)
                || !_notifications.TryGetReady(id, out var result)
                || result is not NotificationResult.InvocationId child)
            {
                continue;
            }

            _cancelledChildren.Add(id.Index);
            Journal(CancelSignal(child.Id), string.Empty);
        }
    }

    private void WriteSuspension(UnresolvedFuture future)
    {
        if (Version >= ServiceProtocolVersion.V7)
        {
            var root = ToFuture(future);
            if (_options.ImplicitCancellation)
            {
                if (root.CombinatorType != CombinatorType.FirstCompleted)
                {
                    root = new Future { CombinatorType = CombinatorType.FirstCompleted, NestedFutures = { root } };
                }

                root.WaitingSignals.Add(1);
            }

            WriteFinal(new SuspensionMessage { AwaitingOn = root });
            return;
        }

        var flat = new SuspensionMessageV6();
        foreach (var id in Leaves(future).Select(IdOf).Distinct())
        {
            AddLeaf(id, flat.WaitingCompletions, flat.WaitingSignals, flat.WaitingNamedSignals);
        }

        if (_options.ImplicitCancellation && !flat.WaitingSignals.Contains(1))
        {
            flat.WaitingSignals.Add(1);
        }

        WriteFinal(flat);
    }

    private Future ToFuture(UnresolvedFuture future)
    {
        switch (future)
        {
            case UnresolvedFuture.Single single:
                var leaf = new Future { CombinatorType = CombinatorType.FirstCompleted };
                AddLeaf(IdOf(single.Handle), leaf.WaitingCompletions, leaf.WaitingSignals, leaf.WaitingNamedSignals);
                return leaf;
            case UnresolvedFuture.Combinator combinator:
                var node = new Future
                {
                    CombinatorType = combinator.Kind switch
                    {
                        CombinatorKind.FirstCompleted => CombinatorType.FirstCompleted,
                        CombinatorKind.AllCompleted => CombinatorType.AllCompleted,
                        CombinatorKind.FirstSucceededOrAllFailed => CombinatorType.FirstSucceededOrAllFailed,
                        _ => CombinatorType.AllSucceededOrFirstFailed,
                    },
                };
                foreach (var child in combinator.Children)
                {
                    if (child is UnresolvedFuture.Single s)
                    {
                        AddLeaf(IdOf(s.Handle), node.WaitingCompletions, node.WaitingSignals, node.WaitingNamedSignals);
                    }
                    else
                    {
                        node.NestedFutures.Add(ToFuture(child));
                    }
                }

                return node;
            default:
                throw new ArgumentOutOfRangeException(nameof(future));
        }
    }

    private static void AddLeaf(NotificationId id, ICollection<uint> completions, ICollection<uint> signals, ICollection<string> named)
    {
        switch (id.Kind)
        {
            case NotificationIdKind.Completion: completions.Add(id.Index); break;
            case NotificationIdKind.Signal: signals.Add(id.Index); break;
            case NotificationIdKind.NamedSignal: named.Add(id.Name!); break;
        }
    }
}
