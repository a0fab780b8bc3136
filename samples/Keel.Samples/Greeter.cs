using Keel.Sdk;

namespace Keel.Samples;

/// <summary>Seed: a service. Stateless; handlers run concurrently. Calls an object and awaits its answer.</summary>
[Service]
public sealed class Greeter
{
    [Handler]
    public async Task<string> Greet(IContext ctx, string name)
    {
        // Request-response call to a virtual object: journaled, so a retry never counts twice.
        var visits = await ctx.Object<CounterClient>(name).AddAsync(1);
        return $"Hello {name}, visit #{visits}";
    }
}
