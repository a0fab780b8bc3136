using Keel.Sdk;

namespace Keel.Samples;

/// <summary>Seed: sends from one handler to the same object key execute in the order sent.</summary>
[VirtualObject]
public sealed class Inbox
{
    private static readonly StateKey<List<string>> Messages = new("messages");

    [Handler]
    public async Task Append(IObjectContext ctx, string message)
    {
        var messages = await ctx.GetAsync(Messages, []);
        messages.Add(message);
        ctx.Set(Messages, messages);
    }

    [Handler, Shared]
    public async Task<List<string>> Read(ISharedObjectContext ctx) => await ctx.GetAsync(Messages, []);

    /// <summary>Sends <paramref name="count"/> numbered messages to the same key; they land in order.</summary>
    [Handler]
    public Task Burst(IObjectContext ctx, int count)
    {
        for (var i = 0; i < count; i++)
        {
            ctx.Object<InboxClient>(ctx.Key + "-burst").Send().Append($"message {i}");
        }

        return Task.CompletedTask;
    }
}
