using Keel.Sdk;

namespace Keel.Testing.Tests;

/// <summary>Sleeps one day durably, then answers.</summary>
[Workflow]
public sealed class Hibernate
{
    [Handler]
    public async Task<string> Run(IWorkflowContext ctx, string name)
    {
        await ctx.SleepAsync(TimeSpan.FromDays(1));
        return $"{name} woke up";
    }
}

/// <summary>Keeps notes per key; a note can be posted later by a delayed send.</summary>
[VirtualObject]
public sealed class Notebook
{
    private static readonly StateKey<List<string>> Notes = new("notes");

    [Handler]
    public async Task Write(IObjectContext ctx, string note)
    {
        var notes = await ctx.GetAsync(Notes, []);
        notes.Add(note);
        ctx.Set(Notes, notes);
    }

    [Handler, Shared]
    public async Task<List<string>> Read(ISharedObjectContext ctx) => await ctx.GetAsync(Notes, []);
}

[Service]
public sealed class Grumpy
{
    [Handler]
    public Task<string> Greet(IContext ctx, string name) => throw new TerminalException($"go away, {name}", 418);
}

/// <summary>Sleeps in steps and records the durable clock after each, to see that skipped time is seen by handlers.</summary>
[Workflow]
public sealed class Stepper
{
    [Handler]
    public async Task<List<DateTimeOffset>> Run(IWorkflowContext ctx, int steps)
    {
        var seen = new List<DateTimeOffset> { await ctx.NowAsync() };
        for (var i = 0; i < steps; i++)
        {
            await ctx.SleepAsync(TimeSpan.FromHours(1));
            seen.Add(await ctx.NowAsync());
        }

        return seen;
    }
}

/// <summary>Counts the attempts of <see cref="Flaky"/> (a singleton the test reads).</summary>
public sealed class AttemptCounter
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public int Next() => Interlocked.Increment(ref _count);
}

/// <summary>Fails with a retryable error twice, then answers: the server retries it after a backoff.</summary>
[Service]
public sealed class Flaky(AttemptCounter attempts)
{
    [Handler]
    public Task<string> Greet(IContext ctx, string name) =>
        attempts.Next() < 3 ? throw new InvalidOperationException("not yet") : Task.FromResult($"hello {name}");
}

/// <summary>Sleeps for the given number of hours, then says how long.</summary>
[Service]
public sealed class Napper
{
    [Handler]
    public async Task<string> Nap(IContext ctx, int hours)
    {
        await ctx.SleepAsync(TimeSpan.FromHours(hours));
        return $"napped {hours}h";
    }
}

/// <summary>Calls <see cref="Napper"/> (another invocation, possibly on another partition) and leaves a delayed note.</summary>
[Workflow]
public sealed class Errand
{
    [Handler]
    public async Task<string> Run(IWorkflowContext ctx, string key)
    {
        ctx.Object<NotebookClient>(key).Send(TimeSpan.FromHours(2)).Write("two hours after the errand began");
        var nap = await ctx.Service<NapperClient>().NapAsync(24);
        return $"errand done after {nap}";
    }
}

/// <summary>A first handler bug: always throws a plain exception (counted, so tests see how often it ran).</summary>
[Service]
public sealed class Buggy(AttemptCounter attempts)
{
    [Handler]
    public Task<string> Greet(IContext ctx, string name)
    {
        attempts.Next();
        throw new InvalidOperationException($"no greeting for {name}");
    }
}

/// <summary>Calls <see cref="Buggy"/>: its failure reaches this caller, and through it the client.</summary>
[Service]
public sealed class BuggyCaller
{
    [Handler]
    public async Task<string> Greet(IContext ctx, string name) => await ctx.Service<BuggyClient>().GreetAsync(name);
}
