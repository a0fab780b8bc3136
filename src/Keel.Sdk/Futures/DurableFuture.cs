using System.Runtime.CompilerServices;
using Keel.Sdk.Core;
using Keel.Sdk.Internal;

namespace Keel.Sdk;

/// <summary>
/// The awaitable of every durable operation. This non-generic form is what operations without a result
/// return (<see cref="IContext.SleepAsync"/>, a <c>RunAsync</c> without a value, a call of a void
/// handler); <see cref="DurableFuture{T}"/> derives from it, so combinators such as <see cref="All(DurableFuture[])"/>,
/// <see cref="Race(DurableFuture[])"/> and <see cref="WhenAny"/> accept futures of mixed result types.
/// Each future describes what to wait for as a tree the runtime understands, so a combinator suspends
/// on exactly the right set. Awaiting a failed future throws its <see cref="TerminalException"/>.
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

    internal bool IsResolved => Driver.IsResolved(Tree);

    private Task? _task;
    private Task? _checked;

    /// <summary>Completes when the tree is resolved, whatever the outcome.</summary>
    internal Task AsTask() => _task ??= Driver.AwaitAsync(this);

    /// <summary>Makes the future awaitable; a failure is rethrown (a <see cref="TerminalException"/> when terminal).</summary>
    public TaskAwaiter GetAwaiter() => (_checked ??= Checked()).GetAwaiter();

    private async Task Checked()
    {
        await AsTask();
        ResultObject();
    }

    /// <summary>
    /// Races this future against a durable timer of <paramref name="timeout"/>. When the timer wins,
    /// awaiting throws a <see cref="DurableTimeoutException"/> — a <see cref="TerminalException"/> with code
    /// 408, so an uncaught timeout fails the invocation instead of being retried.
    /// </summary>
    public DurableFuture OrTimeout(TimeSpan timeout)
    {
        var timer = Driver.Context.SleepAsync(timeout);
        return new CombinedFuture<object?>(Driver, CombinatorKind.FirstCompleted, [this, timer], children =>
            children[0].IsResolved ? children[0].ResultObject() : throw new DurableTimeoutException(timeout)).AsVoid();
    }

    /// <summary>Gives a value once this completes successfully (no extra journal entry).</summary>
    public DurableFuture<TOut> Map<TOut>(Func<TOut> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return new CombinedFuture<TOut>(Driver, CombinatorKind.AllCompleted, [this], children =>
        {
            children[0].ResultObject();
            return map();
        });
    }

    // ---- combinators ----------------------------------------------------------------------

    /// <summary>Completes when all succeed (values in order), or with the first failure.</summary>
    public static DurableFuture<T[]> All<T>(params DurableFuture<T>[] futures) =>
        new CombinedFuture<T[]>(DriverOf(futures), CombinatorKind.AllSucceededOrFirstFailed, futures,
            children => children.Select(c => (T)c.ResultObject()!).ToArray());

    /// <summary>Completes when all succeed, or with the first failure; the futures may have any result types.</summary>
    public static DurableFuture All(params DurableFuture[] futures) =>
        new CombinedFuture<object?>(DriverOf(futures), CombinatorKind.AllSucceededOrFirstFailed, futures,
            children => { foreach (var c in children) { c.ResultObject(); } return null; }).AsVoid();

    /// <summary>Completes with the first success, or fails when all failed.</summary>
    public static DurableFuture<T> Any<T>(params DurableFuture<T>[] futures) =>
        new CombinedFuture<T>(DriverOf(futures), CombinatorKind.FirstSucceededOrAllFailed, futures, children =>
        {
            var winner = children.FirstOrDefault(c => c.IsResolved && c.Succeeded());
            return (T)(winner ?? children.Last()).ResultObject()!;
        });

    /// <summary>Completes like the first future to complete (value or failure).</summary>
    public static DurableFuture<T> Race<T>(params DurableFuture<T>[] futures) =>
        new CombinedFuture<T>(DriverOf(futures), CombinatorKind.FirstCompleted, futures,
            children => (T)children.First(c => c.IsResolved).ResultObject()!);

    /// <summary>
    /// Completes with the first future to complete, of any result type — compare it with the futures you
    /// passed (<c>if (winner == approval)</c>) and await it for its value or failure. Like <see cref="Task.WhenAny(Task[])"/>,
    /// the race itself never throws.
    /// </summary>
    public static DurableFuture<DurableFuture> Race(params DurableFuture[] futures) =>
        new CombinedFuture<DurableFuture>(DriverOf(futures), CombinatorKind.FirstCompleted, futures,
            children => children.First(c => c.IsResolved));

    /// <summary>Completes when every future completed, successfully or not; inspect them afterwards.</summary>
    public static DurableFuture AllSettled(params DurableFuture[] futures) =>
        new CombinedFuture<object?>(DriverOf(futures), CombinatorKind.AllCompleted, futures, _ => null).AsVoid();

    /// <summary>The index of the first future to complete (futures of any result types).</summary>
    public static DurableFuture<int> WhenAny(params DurableFuture[] futures) =>
        new CombinedFuture<int>(DriverOf(futures), CombinatorKind.FirstCompleted, futures,
            children => children.ToList().FindIndex(c => c.IsResolved));

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

    /// <summary>Makes the future awaitable for its result; a failure is rethrown (a <see cref="TerminalException"/> when terminal).</summary>
    public new TaskAwaiter<T> GetAwaiter() => (_typedTask ??= Typed()).GetAwaiter();

    private async Task<T> Typed()
    {
        await AsTask();
        return (T)ResultObject()!;
    }

    /// <summary>
    /// Races this future against a durable timer of <paramref name="timeout"/>: the value when this completes
    /// first, otherwise a <see cref="DurableTimeoutException"/> (a <see cref="TerminalException"/>, code 408).
    /// </summary>
    public new DurableFuture<T> OrTimeout(TimeSpan timeout)
    {
        var timer = Driver.Context.SleepAsync(timeout);
        return new CombinedFuture<T>(Driver, CombinatorKind.FirstCompleted, [this, timer], children =>
            children[0].IsResolved
                ? (T)children[0].ResultObject()!
                : throw new DurableTimeoutException(timeout));
    }

    /// <summary>Transforms the result once it is available (no extra journal entry).</summary>
    public DurableFuture<TOut> Map<TOut>(Func<T, TOut> map) =>
        new CombinedFuture<TOut>(Driver, CombinatorKind.AllCompleted, [this], children => map((T)children[0].ResultObject()!));
}
