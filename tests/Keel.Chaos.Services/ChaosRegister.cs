using Keel.Sdk;

namespace Keel.Chaos.Services;

/// <summary>The register's value as read: null before the first write.</summary>
public sealed record RegisterValue(long? Value);

public sealed record CasRequest(long From, long To);

/// <summary>
/// A read/write/compare-and-set register per key, for the linearizability checker. Writes and compare-and-sets
/// are exclusive handlers (one at a time per key); reads are shared, so they do not queue behind them.
/// </summary>
[VirtualObject]
public sealed class ChaosRegister
{
    private static readonly StateKey<long?> Value = new("value");

    [Handler, Shared]
    public async Task<RegisterValue> Get(ISharedObjectContext ctx) => new(await ctx.GetAsync(Value));

    [Handler]
    public Task Set(IObjectContext ctx, long value)
    {
        ctx.Set(Value, value);
        return Task.CompletedTask;
    }

    /// <summary>True when the register held <see cref="CasRequest.From"/> and now holds <see cref="CasRequest.To"/>.</summary>
    [Handler]
    public async Task<bool> Cas(IObjectContext ctx, CasRequest request)
    {
        if (await ctx.GetAsync(Value) != request.From)
        {
            return false;
        }

        ctx.Set(Value, request.To);
        return true;
    }
}
