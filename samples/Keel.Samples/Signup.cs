using Keel.Sdk;

namespace Keel.Samples;

/// <summary>
/// Seed: a workflow. <c>Run</c> executes once per workflow id; the shared <c>Confirm</c> handler
/// resolves a durable promise the run waits on. Its result stays reachable after it ends.
/// </summary>
[Workflow]
public sealed class Signup
{
    [Handler]
    public async Task<string> Run(IWorkflowContext ctx, string email)
    {
        var code = await ctx.RunAsync("make code", () => Task.FromResult(Guid.NewGuid().ToString("N")[..6]));
        ctx.Service<EmailClient>().Send().Deliver(new Mail(email, $"Your code: {code}"));
        var confirmed = await ctx.PromiseAsync<string>("confirmation");
        return confirmed == code ? $"{email} confirmed" : $"{email} gave a wrong code";
    }

    [Handler]
    public async Task Confirm(ISharedWorkflowContext ctx, string code) => await ctx.ResolvePromiseAsync("confirmation", code);
}
