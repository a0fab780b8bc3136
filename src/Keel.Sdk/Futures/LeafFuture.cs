using Keel.Sdk.Core;
using Keel.Sdk.Internal;

namespace Keel.Sdk;

/// <summary>A future on one VM handle; <c>convert</c> turns the notification into the value.</summary>
internal sealed class LeafFuture<T>(InvocationDriver driver, NotificationHandle handle, Func<NotificationResult, T> convert)
    : DurableFuture<T>(driver, new UnresolvedFuture.Single(handle))
{
    public NotificationHandle Handle { get; } = handle;

    internal override bool Succeeded() => Driver.ResultOf(Handle) is not NotificationResult.Failure;

    internal override object? ResultObject() => Driver.ResultOf(Handle) switch
    {
        NotificationResult.Failure f => throw Failures.ToException(f.Error),
        var result => convert(result),
    };
}

/// <summary>A future over other futures, resolved with the protocol's combinator semantics.</summary>
internal sealed class CombinedFuture<T>(InvocationDriver driver, CombinatorKind kind, DurableFuture[] children, Func<DurableFuture[], T> result)
    : DurableFuture<T>(driver, new UnresolvedFuture.Combinator(kind, children.Select(c => c.Tree).ToList()))
{
    internal override bool Succeeded()
    {
        try
        {
            ResultObject();
            return true;
        }
        catch (TerminalException)
        {
            return false;
        }
    }

    internal override object? ResultObject() => result(children);
}

/// <summary>The result-less view of another future: same tree and outcome, no value.</summary>
internal sealed class VoidFuture(DurableFuture inner) : DurableFuture(inner.Driver, inner.Tree)
{
    internal override bool Succeeded() => inner.Succeeded();

    internal override object? ResultObject()
    {
        inner.ResultObject();
        return null;
    }
}

internal static class FutureExtensions
{
    public static DurableFuture AsVoid(this DurableFuture future) => new VoidFuture(future);
}
