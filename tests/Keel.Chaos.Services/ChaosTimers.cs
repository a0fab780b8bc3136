using Keel.Sdk;

namespace Keel.Chaos.Services;

/// <summary>A delayed send to ask for: the alarm <see cref="Id"/> on the object <see cref="Key"/>, <see cref="DelayMs"/> from now.</summary>
public sealed record DelayedSendRequest(string Id, string Key, long DelayMs);

/// <summary>What the delayed message carries: its id and the earliest time it may run (the sender's journaled clock plus the delay).</summary>
public sealed record AlarmMessage(string Id, DateTimeOffset Due);

/// <summary>An alarm as it ran: its id, when it was due and when it ran, both by this endpoint's journaled clock.</summary>
public sealed record FiredAlarm(string Id, DateTimeOffset Due, DateTimeOffset Fired);

/// <summary>
/// Delayed sends (durable timers), for the delayed-send checker: <c>schedule</c> reads the journaled time and
/// sends one message to a <see cref="ChaosAlarms"/> key with a delay. The due time is taken before the send is
/// journaled, so the timer the server keeps can only be later than it: an alarm that runs before its due time
/// fired early.
/// </summary>
[Service]
public sealed class ChaosScheduler
{
    [Handler]
    public async Task Schedule(IContext ctx, DelayedSendRequest request)
    {
        var delay = TimeSpan.FromMilliseconds(request.DelayMs);
        var now = await ctx.NowAsync();
        ctx.Send(Target.Object(nameof(ChaosAlarms), request.Key, "fire"), new AlarmMessage(request.Id, now + delay), delay);
    }
}

/// <summary>
/// The alarms that ran, per key, in the order they ran. <c>fire</c> appends without looking for the alarm first,
/// on purpose: a timer that fired twice shows as a duplicate.
/// </summary>
[VirtualObject]
public sealed class ChaosAlarms
{
    private static readonly StateKey<List<FiredAlarm>> Fired = new("fired");

    [Handler]
    public async Task Fire(IObjectContext ctx, AlarmMessage message)
    {
        var now = await ctx.NowAsync();
        var fired = await ctx.GetAsync(Fired, []);
        fired.Add(new FiredAlarm(message.Id, message.Due, now));
        ctx.Set(Fired, fired);
    }

    [Handler, Shared]
    public async Task<List<FiredAlarm>> Get(ISharedObjectContext ctx) => await ctx.GetAsync(Fired, []);
}
