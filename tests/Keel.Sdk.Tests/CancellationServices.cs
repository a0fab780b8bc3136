namespace Keel.Sdk.Tests;

/// <summary>What the cancellation handlers observed; one set of probes per handler (tests of one class run one at a time).</summary>
internal static class Probes
{
    public static TaskCompletionSource Started { get; set; } = New();

    public static TaskCompletionSource TokenFired { get; set; } = New();

    public static TaskCompletionSource FinallyRan { get; set; } = New();

    public static TaskCompletionSource<string> Outcome { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static void Reset()
    {
        Started = New();
        TokenFired = New();
        FinallyRan = New();
        Outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

[Service]
public sealed class Cancellable
{
    /// <summary>Waits on an awakeable nobody completes; the token and the finally report an abort.</summary>
    [Handler]
    public async Task<string> Wait(IContext ctx, string label, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(() => Probes.TokenFired.TrySetResult());
        try
        {
            var awakeable = ctx.Awakeable<string>();
            Probes.Started.TrySetResult();
            return label + await awakeable.Future;
        }
        finally
        {
            Probes.FinallyRan.TrySetResult();
        }
    }

    /// <summary>A run closure blocked on its token: its finally must run when the attempt is aborted.</summary>
    [Handler]
    public async Task<int> BlockInRun(IContext ctx) =>
        await ctx.RunAsync("block", async ct =>
        {
            try
            {
                Probes.Started.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
                return 1;
            }
            finally
            {
                Probes.FinallyRan.TrySetResult();
            }
        });

    /// <summary>Cancelled while a run executes: the run's token fires, the await throws CancelledException, the handler compensates.</summary>
    [Handler]
    public async Task<string> CompensateOnCancel(IContext ctx, CancellationToken cancellationToken)
    {
        try
        {
            await ctx.RunAsync("block", async ct =>
            {
                try
                {
                    Probes.Started.TrySetResult();
                    await Task.Delay(Timeout.Infinite, ct);
                }
                finally
                {
                    Probes.FinallyRan.TrySetResult();
                }
            });
            return "not cancelled";
        }
        catch (CancelledException e)
        {
            var outcome = $"{e.Code} token:{cancellationToken.IsCancellationRequested}";
            // Compensation still runs durable steps: a new run gets a fresh token.
            var refunded = ctx.RunAsync("refund", ct =>
            {
                Probes.Outcome.TrySetResult($"{outcome} refund token:{ct.IsCancellationRequested}");
                return Task.FromResult("refunded");
            });
            await refunded;
            throw;
        }
    }

    [Handler]
    public Task<string> ApplicationConflict(IContext ctx) => throw new TerminalException("already booked", 409);
}
