using Keel.Sdk;

namespace Keel.Client.Tests;

public sealed record Greeting(string Name, Mood Mood);

public enum Mood
{
    Calm,
    Cheerful,
}

[Service]
public sealed class Greeter
{
    [Handler]
    public Task<string> Greet(IContext ctx, Greeting greeting) => Task.FromResult($"Hello {greeting.Name} ({greeting.Mood})");

    [Handler]
    public Task<string> Fail(IContext ctx, string reason) => throw new TerminalException(reason, 418);
}

[VirtualObject]
public sealed class ClientCounter
{
    private static readonly StateKey<long> Value = new("value");

    [Handler]
    public async Task<long> Add(IObjectContext ctx, long amount)
    {
        var value = await ctx.GetAsync(Value) + amount;
        ctx.Set(Value, value);
        return value;
    }

    [Handler, Shared]
    public async Task<long> Get(ISharedObjectContext ctx) => await ctx.GetAsync(Value);
}

/// <summary>Holds an awakeable id so a test can find it.</summary>
[VirtualObject]
public sealed class Mailbox
{
    private static readonly StateKey<string> Id = new("id");

    [Handler]
    public Task Put(IObjectContext ctx, string id)
    {
        ctx.Set(Id, id);
        return Task.CompletedTask;
    }

    [Handler, Shared]
    public async Task<string?> Peek(ISharedObjectContext ctx) => await ctx.GetAsync(Id);
}

[Service]
public sealed class Waiter
{
    /// <summary>Makes an awakeable, posts its id to <c>Mailbox/{mailbox}</c> and waits for it.</summary>
    [Handler]
    public async Task<string> Wait(IContext ctx, string mailbox)
    {
        var awakeable = ctx.Awakeable<string>();
        ctx.Send(Target.Object(nameof(Mailbox), mailbox, "put"), awakeable.Id);
        return await awakeable.Future;
    }
}

[Workflow]
public sealed class Signup
{
    private const string Confirmation = "confirmation";

    [Handler]
    public async Task<string> Run(IWorkflowContext ctx, string email)
    {
        var code = await ctx.PromiseAsync<string>(Confirmation);
        return $"{email} confirmed with {code}";
    }

    [Handler]
    public async Task Confirm(ISharedWorkflowContext ctx, string code) => await ctx.ResolvePromiseAsync(Confirmation, code);
}
