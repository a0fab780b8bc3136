using Keel.Sdk;

namespace Keel.Samples;

public sealed record Transfer(string To, long Amount);

/// <summary>
/// Seed: a deadlock. Account A's exclusive <c>Pay</c> calls B, whose <c>Pay</c> calls A back: A's
/// lock is held, so the call waits in A's inbox forever. Unblock it by cancelling (or killing) the
/// first invocation from the CLI: <c>restate invocations cancel &lt;id&gt;</c>; the cancelled call
/// surfaces as a 409 terminal error that the handler can compensate.
/// </summary>
[VirtualObject]
public sealed class Bank
{
    private static readonly StateKey<long> Balance = new("balance");

    [Handler]
    public async Task<string> Pay(IObjectContext ctx, Transfer transfer)
    {
        try
        {
            await ctx.Object<BankClient>(transfer.To).Pay(new Transfer(ctx.Key, transfer.Amount));
            ctx.Set(Balance, await ctx.GetAsync(Balance) - transfer.Amount);
            return "paid";
        }
        catch (TerminalException e) when (e.Code == TerminalException.CancelledCode)
        {
            return "cancelled: nothing was paid";
        }
    }

    [Handler, Shared]
    public async Task<long> GetBalance(ISharedObjectContext ctx) => await ctx.GetAsync(Balance);
}
