using System.Runtime.CompilerServices;
using Keel.Sdk.Core;
using Keel.Sdk.Internal;

namespace Keel.Sdk;

/// <summary>
/// The one awaitable of every durable operation (call, sleep, run, awakeable, promise, state read).
/// It describes what to wait for as a tree the runtime understands, so combinators such as
/// <see cref="All"/> or <see cref="Race"/> suspend on exactly the right set.
/// </summary>
public abstract class DurableFuture
{
    private protected DurableFuture(InvocationDriver driver, UnresolvedFuture tree)
    {
        Driver = driver;
        Tree = tree;
    }

    internal InvocationDriver Driver { get; }

    internal UnresolvedFuture Tree { get; }

    /// <summary>The result's status once the tree is resolved: false for a terminal failure.</summary>
    internal abstract bool Succeeded();

    /// <summary>Builds the result; throws <see cref="TerminalException"/> for a failure.</summary>
    internal abstract object? ResultObject();

    private Task? _task;

    internal Task AsTask() => _task ??= Driver.AwaitAsync(this);

    public TaskAwaiter GetAwaiter() => AsTask().GetAwaiter();

    // ---- combinators ----------------------------------------------------------------------

    /// <summary>Completes when all succeed (values in order), or with the first failure.</summary>
    public static DurableFuture<T[]> All<T>(params DurableFuture<T>[] futures) =>
        new CombinedFuture<T[]>(DriverOf(futures), CombinatorKind.AllSucceededOrFirstFailed, futures,
            children => children.Select(c => (T)c.ResultObject()!).ToArray());

    /// <summary>Completes when all succeed, or with the first failure.</summary>
    public static DurableFuture<bool> All(params DurableFuture[] futures) =>
        new CombinedFuture<bool>(DriverOf(futures), CombinatorKind.AllSucceededOrFirstFailed, futures,
            children => children.All(c => { c.ResultObject(); return true; }));

    /// <summary>Completes with the first success, or fails when all failed.</summary>
    public static DurableFuture<T> Any<T>(params DurableFuture<T>[] futures) =>
        new CombinedFuture<T>(DriverOf(futures), CombinatorKind.FirstSucceededOrAllFailed, futures, children =>
        {
            var winner = children.FirstOrDefault(c => c.Driver.IsResolved(c.Tree) && c.Succeeded());
            return (T)(winner ?? children.Last()).ResultObject()!;
        });

    /// <summary>Completes like the first future to complete (value or failure).</summary>
    public static DurableFuture<T> Race<T>(params DurableFuture<T>[] futures) =>
        new CombinedFuture<T>(DriverOf(futures), CombinatorKind.FirstCompleted, futures,
            children => (T)children.First(c => c.Driver.IsResolved(c.Tree)).ResultObject()!);

    /// <summary>Completes when every future completed, successfully or not; inspect them afterwards.</summary>
    public static DurableFuture<bool> AllSettled(params DurableFuture[] futures) =>
        new CombinedFuture<bool>(DriverOf(futures), CombinatorKind.AllCompleted, futures, _ => true);

    /// <summary>The index of the first future to complete.</summary>
    public static DurableFuture<int> WhenAny(params DurableFuture[] futures) =>
        new CombinedFuture<int>(DriverOf(futures), CombinatorKind.FirstCompleted, futures,
            children => children.ToList().FindIndex(c => c.Driver.IsResolved(c.Tree)));

    private static InvocationDriver DriverOf(DurableFuture[] futures)
    {
        ArgumentNullException.ThrowIfNull(futures);
        if (futures.Length == 0)
        {
            throw new ArgumentException("A combinator needs at least one future.", nameof(futures));
        }

        return futures[0].Driver;
    }
}

/// <summary>A durable operation that produces a <typeparamref name="T"/>.</summary>
public abstract class DurableFuture<T> : DurableFuture
{
    private protected DurableFuture(InvocationDriver driver, UnresolvedFuture tree) : base(driver, tree) { }

    private Task<T>? _typedTask;

    public new TaskAwaiter<T> GetAwaiter() => (_typedTask ??= Typed()).GetAwaiter();

    private async Task<T> Typed()
    {
        await AsTask();
        return (T)ResultObject()!;
    }

    /// <summary>Fails with a 408 <see cref="TerminalException"/> unless this completes within <paramref name="timeout"/>.</summary>
    public DurableFuture<T> WithTimeout(TimeSpan timeout)
    {
        var timer = Driver.Context.SleepAsync(timeout);
        return new CombinedFuture<T>(Driver, CombinatorKind.FirstCompleted, [this, timer], children =>
            children[0].Driver.IsResolved(children[0].Tree)
                ? (T)children[0].ResultObject()!
                : throw new TerminalException($"Timed out after {timeout}.", 408));
    }

    /// <summary>Transforms the result once it is available (no extra journal entry).</summary>
    public DurableFuture<TOut> Map<TOut>(Func<T, TOut> map) =>
        new CombinedFuture<TOut>(Driver, CombinatorKind.AllCompleted, [this], children => map((T)children[0].ResultObject()!));
}
