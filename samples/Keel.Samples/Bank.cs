using Keel.Sdk;

namespace Keel.Samples;

public sealed record Transfer(string To, long Amount);

/// <summary>
/// Seed: a deadlock. Alice's exclusive <c>Pay</c> asks Bob to <c>Receive</c> the money; Bob's
/// <c>Receive</c> asks Alice to <c>Confirm</c> it. Alice's lock is held by <c>Pay</c>, so <c>Confirm</c>
/// waits in Alice's inbox while <c>Pay</c> waits for <c>Receive</c>: neither finishes on its own.
/// Unblock it by cancelling (or killing) the payment from the CLI
/// (<c>restate invocations cancel &lt;id&gt;</c>): the cancellation flows down the call chain
/// (<c>Receive</c>, then the queued <c>Confirm</c>) and <c>Pay</c> sees a 409 terminal error it compensates.
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
            await ctx.Object<BankClient>(transfer.To).ReceiveAsync(new Transfer(ctx.Key, transfer.Amount));
            ctx.Set(Balance, await ctx.GetAsync(Balance) - transfer.Amount);
            return "paid";
        }
        catch (TerminalException e) when (e.Code == TerminalException.CancelledCode)
        {
            return "cancelled: nothing was paid";
        }
    }

    /// <summary>Credits the amount once the payer (<see cref="Transfer.To"/> here) confirms it.</summary>
    [Handler]
    public async Task<string> Receive(IObjectContext ctx, Transfer payment)
    {
        await ctx.Object<BankClient>(payment.To).ConfirmAsync(new Transfer(ctx.Key, payment.Amount));
        ctx.Set(Balance, await ctx.GetAsync(Balance) + payment.Amount);
        return "received";
    }

    [Handler]
    public Task<string> Confirm(IObjectContext ctx, Transfer transfer) => Task.FromResult($"confirmed {transfer.Amount} to {transfer.To}");

    [Handler, Shared]
    public async Task<long> GetBalance(ISharedObjectContext ctx) => await ctx.GetAsync(Balance);
}
