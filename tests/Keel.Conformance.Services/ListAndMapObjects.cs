using Keel.Sdk;

namespace Keel.Conformance.Services;

[VirtualObject]
public sealed class ListObject
{
    private static readonly StateKey<List<string>> List = new("list");

    [Handler]
    public async Task Append(IObjectContext ctx, string value)
    {
        var list = await ctx.GetAsync(List, []);
        list.Add(value);
        ctx.Set(List, list);
    }

    [Handler]
    public async Task<List<string>> Get(IObjectContext ctx) => await ctx.GetAsync(List, []);

    [Handler]
    public async Task<List<string>> Clear(IObjectContext ctx)
    {
        var list = await ctx.GetAsync(List, []);
        ctx.Clear(List);
        return list;
    }
}

public sealed record Entry(string Key, string Value);

[VirtualObject]
public sealed class MapObject
{
    [Handler]
    public Task Set(IObjectContext ctx, Entry entry)
    {
        ctx.Set(new StateKey<string>(entry.Key), entry.Value);
        return Task.CompletedTask;
    }

    [Handler]
    public async Task<string> Get(IObjectContext ctx, string key) => await ctx.GetAsync(new StateKey<string>(key), string.Empty);

    [Handler]
    public async Task<List<Entry>> ClearAll(IObjectContext ctx)
    {
        var entries = new List<Entry>();
        foreach (var key in await ctx.StateKeysAsync())
        {
            entries.Add(new Entry(key, await ctx.GetAsync(new StateKey<string>(key), string.Empty)));
        }

        ctx.ClearAll();
        return entries;
    }
}
