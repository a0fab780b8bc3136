using Keel.Sdk;

namespace Keel.Conformance.Services;

[Workflow]
public sealed class BlockAndWaitWorkflow
{
    private static readonly StateKey<string> Input = new("my-state");
    private const string Promise = "durable-promise";

    [Handler]
    public async Task<string> Run(IWorkflowContext ctx, string input)
    {
        ctx.Set(Input, input);
        var output = await ctx.PromiseAsync<string>(Promise);
        if (!(await ctx.PeekPromiseAsync<string>(Promise)).IsCompleted)
        {
            throw new TerminalException("Durable promise should be completed");
        }

        return output;
    }

    [Handler]
    public async Task Unblock(ISharedWorkflowContext ctx, string output) => await ctx.ResolvePromiseAsync(Promise, output);

    [Handler]
    public async Task<string?> GetState(ISharedWorkflowContext ctx) => await ctx.GetAsync(Input);
}
