using Keel.Sdk.Core;

namespace Keel.Sdk.Internal;

/// <summary>Awaiting durable futures: one DoAwait over everything the handler's branches wait on.</summary>
internal sealed partial class InvocationDriver
{
    /// <summary>Called (on the pump) when handler code awaits a durable future.</summary>
    public Task AwaitAsync(DurableFuture future)
    {
        EnsureOnPump("await (a durable future)");
        if (IsResolved(future.Tree))
        {
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource();
        _awaited.Add((future.Tree, done));
        return done.Task;
    }

    /// <summary>True when resolved, false when the pump should wait for input, null when the attempt is over.</summary>
    private bool? TryProgress()
    {
        var trees = _awaited.Select(a => a.Tree).ToList();
        var combined = trees.Count == 1 ? trees[0] : new UnresolvedFuture.Combinator(CombinatorKind.FirstCompleted, trees);
        AwaitResult result;
        try
        {
            result = _vm.DoAwait(combined);
        }
        catch (VmException)
        {
            return null;
        }

        switch (result)
        {
            case AwaitResult.Completed:
                ResolveAwaited();
                return true;
            case AwaitResult.ExecuteRun run:
                StartRun(run.Handle);
                return true;
            case AwaitResult.Cancelled:
                FailAwaited(new CancelledException());
                return true;
            case AwaitResult.Suspended:
                return null;
            default:
                return false;
        }
    }

    private void ResolveAwaited()
    {
        // In registration order, so the branch that awaited first resumes first, on every replay.
        foreach (var entry in _awaited.Where(a => IsResolved(a.Tree)).ToList())
        {
            _awaited.Remove(entry);
            PostCompletion(entry.Done, null);
        }
    }

    private void FailAwaited(Exception error)
    {
        var all = _awaited.ToList();
        _awaited.Clear();
        foreach (var entry in all)
        {
            PostCompletion(entry.Done, error);
        }
    }

    /// <summary>Completes on the pump, so the awaiting branch continues as the next work item.</summary>
    private void PostCompletion(TaskCompletionSource done, Exception? error) => OnPump(() =>
    {
        if (error is null)
        {
            done.TrySetResult();
        }
        else
        {
            done.TrySetException(error);
        }
    });

    /// <summary>The leaf's result, fetched from the VM once and cached (several futures may share a handle).</summary>
    public bool TryGetResult(NotificationHandle handle, out NotificationResult result)
    {
        if (_results.TryGetValue(handle, out result!))
        {
            return true;
        }

        if (_vm.IsCompleted(handle) && _vm.TakeNotification(handle) is { } taken)
        {
            _results[handle] = result = taken;
            return true;
        }

        return false;
    }

    public NotificationResult ResultOf(NotificationHandle handle) =>
        TryGetResult(handle, out var result) ? result : throw new InvalidOperationException("The durable future is not completed yet.");

    /// <summary>Evaluates a tree with the protocol's combinator semantics.</summary>
    public bool IsResolved(UnresolvedFuture tree) => Evaluate(tree).Resolved;

    private (bool Resolved, bool Succeeded) Evaluate(UnresolvedFuture tree)
    {
        switch (tree)
        {
            case UnresolvedFuture.Single single:
                return TryGetResult(single.Handle, out var r) ? (true, r is not NotificationResult.Failure) : (false, false);
            case UnresolvedFuture.Combinator c:
                var children = c.Children.Select(Evaluate).ToList();
                var all = children.All(x => x.Resolved);
                return c.Kind switch
                {
                    CombinatorKind.FirstCompleted => children.FirstOrDefault(x => x.Resolved) is { Resolved: true } first ? first : (false, false),
                    CombinatorKind.AllCompleted => (all, true),
                    CombinatorKind.FirstSucceededOrAllFailed => children.Any(x => x.Resolved && x.Succeeded) ? (true, true) : (all, false),
                    _ => children.Any(x => x.Resolved && !x.Succeeded) ? (true, false) : (all, true),
                };
            default:
                return (false, false);
        }
    }
}
