using Keel.Sdk;

namespace Keel.Chaos.Services;

/// <summary>One send batch: <see cref="Count"/> one-way messages from <see cref="Sender"/> to the inbox <see cref="Key"/>.</summary>
public sealed record SendBatch(string Sender, string Key, int Count);

/// <summary>A message as the inbox keeps it: who sent it and its place in the sender's sequence (1, 2, ...).</summary>
public sealed record InboxMessage(string Sender, long Seq);

/// <summary>
/// One handler sending a sequence of one-way messages to one object key, for the per-key-order checker: they
/// must arrive in the order sent, once each. A journaled run between two sends spreads them over several journal
/// entries, so a crash can land in the middle of the sequence and the replay must not send any of them again.
/// </summary>
[Service]
public sealed class ChaosSender
{
    [Handler]
    public async Task Send(IContext ctx, SendBatch batch)
    {
        for (var seq = 1; seq <= batch.Count; seq++)
        {
            ctx.Send(Target.Object(nameof(ChaosInbox), batch.Key, "append"), new InboxMessage(batch.Sender, seq));
            await ctx.RunAsync($"after {seq}", () => { });
        }
    }
}

/// <summary>
/// The receiving list per key. <c>append</c> adds without looking for the message first, on purpose: a message
/// delivered twice shows as a duplicate.
/// </summary>
[VirtualObject]
public sealed class ChaosInbox
{
    private static readonly StateKey<List<InboxMessage>> Messages = new("messages");

    [Handler]
    public async Task Append(IObjectContext ctx, InboxMessage message)
    {
        var messages = await ctx.GetAsync(Messages, []);
        messages.Add(message);
        ctx.Set(Messages, messages);
    }

    [Handler, Shared]
    public async Task<List<InboxMessage>> Get(ISharedObjectContext ctx) => await ctx.GetAsync(Messages, []);
}
