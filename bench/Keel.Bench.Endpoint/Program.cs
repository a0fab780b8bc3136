using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Keel.Sdk;
using Keel.Sdk.AspNetCore;

// With TALLY_PORT set, GET http://127.0.0.1:$TALLY_PORT/ answers how many distinct invocations of
// CsTally/hit have run so far (the server benchmark's "sends completed" count; retries count once).
if (int.TryParse(Environment.GetEnvironmentVariable("TALLY_PORT"), out var tallyPort))
{
    CsTally.Serve(tallyPort);
}

await KeelEndpoint.RunAsync(args, k => k.AddService<CsNoop>().AddService<CsCounter>().AddService<CsProxy>().AddService<CsTally>());

[Service]
public sealed class CsNoop
{
    [Handler]
    public Task<string> Echo(IContext ctx, string input) => Task.FromResult(input);
}

[VirtualObject]
public sealed class CsCounter
{
    private static readonly StateKey<long> Total = new("total");

    [Handler]
    public async Task<long> Add(IObjectContext ctx, long delta)
    {
        var total = await ctx.GetAsync(Total) + delta;
        ctx.Set(Total, total);
        return total;
    }
}

[Service]
public sealed class CsProxy
{
    [Handler]
    public async Task<string> Call(IContext ctx, string input) => await ctx.CallAsync<string>(Target.Service("CsNoop", "echo"), input);
}

[Service]
public sealed class CsTally
{
    private static readonly ConcurrentDictionary<string, byte> Hits = new();

    [Handler]
    public Task<string> Hit(IContext ctx, string input)
    {
        Hits.TryAdd(ctx.InvocationId, 0);
        return Task.FromResult(input);
    }

    /// <summary>A plain HTTP side port answering the number of distinct invocations seen.</summary>
    public static void Serve(int port)
    {
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                var context = await listener.GetContextAsync();
                var body = System.Text.Encoding.ASCII.GetBytes(Hits.Count.ToString(CultureInfo.InvariantCulture));
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        });
    }
}
