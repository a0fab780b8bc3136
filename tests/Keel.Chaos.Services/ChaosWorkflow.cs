using Keel.Sdk;

namespace Keel.Chaos.Services;

/// <summary>
/// A workflow that waits on both ways of being woken, for the workflow checker: <c>run</c> creates an awakeable
/// (its id in state, for the client to resolve through the ingress), then waits for the durable promise "value"
/// (resolved by the shared <c>resolve</c>) and for the awakeable, records its end in the effect ledger under
/// "workflow id, invocation id" (so a run that ended twice, as two invocations, shows), and keeps the result in
/// state, which the shared <c>get</c> reads after the end.
/// </summary>
[Workflow]
public sealed class ChaosWorkflow
{
    private const string Promise = "value";
    private static readonly StateKey<string> AwakeableId = new("awakeable");
    private static readonly StateKey<string> Result = new("result");

    [Handler]
    public async Task<string> Run(IWorkflowContext ctx, string input)
    {
        var awakeable = ctx.Awakeable<string>();
        ctx.Set(AwakeableId, awakeable.Id);
        var fromPromise = await ctx.PromiseAsync<string>(Promise);
        var fromAwakeable = await awakeable.Future;
        var result = $"{input}/{fromPromise}/{fromAwakeable}";
        var workflowId = ctx.Key;
        var invocationId = ctx.InvocationId;
        await ctx.RunAsync("ended", () => EffectLedger.Record(workflowId, invocationId));
        ctx.Set(Result, result);
        return result;
    }

    /// <summary>
    /// Resolves the promise; resolving it again with the same value is no error (a client retrying an indeterminate
    /// call), with another value it is (409).
    /// </summary>
    [Handler]
    public async Task Resolve(ISharedWorkflowContext ctx, string value)
    {
        var state = await ctx.PeekPromiseAsync<string>(Promise);
        if (!state.IsCompleted)
        {
            try
            {
                await ctx.ResolvePromiseAsync(Promise, value);
                return;
            }
            catch (TerminalException e) when (e.Code == 409)
            {
                // Resolved meanwhile by another call: judged below like any completed promise.
            }

            state = await ctx.PeekPromiseAsync<string>(Promise);
        }

        if (state.Value != value)
        {
            throw new TerminalException($"the promise holds '{state.Value}', not '{value}'", 409);
        }
    }

    /// <summary>The awakeable's id once <c>run</c> created it, else null.</summary>
    [Handler]
    public async Task<string?> Awakeable(ISharedWorkflowContext ctx) => await ctx.GetAsync(AwakeableId);

    /// <summary>The result <c>run</c> kept, once it ended; else null.</summary>
    [Handler]
    public async Task<string?> Get(ISharedWorkflowContext ctx) => await ctx.GetAsync(Result);
}
