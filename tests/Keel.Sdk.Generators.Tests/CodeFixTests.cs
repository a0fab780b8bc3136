namespace Keel.Sdk.Generators.Tests;

public class CodeFixTests
{
    private static string Handler(string body, string signature = "public async Task<string> Place(IContext ctx, string order)") => AnalyzerRunner.Usings + $$"""
        [Service]
        public sealed class Orders
        {
            private readonly HttpClient http = new();

            [Handler]
            {{signature}}
            {
                {{body}}
                return order;
            }
        }
        """;

    [Theory]
    [InlineData("KEEL013", "var t = DateTimeOffset.UtcNow;", "var t = await ctx.NowAsync();")]
    [InlineData("KEEL013", "var t = DateTime.UtcNow;", "var t = (await ctx.NowAsync()).UtcDateTime;")]
    [InlineData("KEEL013", "var t = DateTime.Now;", "var t = (await ctx.NowAsync()).LocalDateTime;")]
    [InlineData("KEEL013", "var t = DateTime.Today;", "var t = (await ctx.NowAsync()).LocalDateTime.Date;")]
    [InlineData("KEEL013", "var t = DateTimeOffset.Now;", "var t = (await ctx.NowAsync()).ToLocalTime();")]
    [InlineData("KEEL013", "var t = DateTimeOffset.UtcNow.AddDays(1);", "var t = (await ctx.NowAsync()).AddDays(1);")]
    [InlineData("KEEL015", "var n = new Random().Next(6);", "var n = ctx.Random.Next(6);")]
    [InlineData("KEEL015", "var n = Random.Shared.Next(6);", "var n = ctx.Random.Next(6);")]
    [InlineData("KEEL018", "await Task.Delay(TimeSpan.FromSeconds(5));", "await ctx.SleepAsync(TimeSpan.FromSeconds(5));")]
    [InlineData("KEEL018", "await Task.Delay(250);", "await ctx.SleepAsync(TimeSpan.FromMilliseconds(250));")]
    [InlineData("KEEL019", "await ctx.NowAsync(); await Task.CompletedTask.ConfigureAwait(false);", "await ctx.NowAsync(); await Task.CompletedTask;")]
    [InlineData("KEEL020", "var s = await http.GetStringAsync(\"https://pay\");", "var s = await ctx.RunAsync(\"GetStringAsync\", () => http.GetStringAsync(\"https://pay\"));")]
    [InlineData("KEEL020", "await http.PostAsync(\"https://pay\", null);", "await ctx.RunAsync(\"PostAsync\", async () => { await http.PostAsync(\"https://pay\", null); });")]
    public async Task Determinism_fix_rewrites_the_expression(string id, string before, string after)
    {
        var fixedSource = await CodeFixRunner.FixAsync(Handler(before), id);
        Assert.Equal(Handler(after), fixedSource);
        await AssertCompilesCleanAsync(fixedSource!);
    }

    [Fact]
    public async Task Fixes_use_the_handlers_own_context_name()
    {
        var signature = "public async Task<string> Place(IObjectContext objectContext, string order)";
        var fixedSource = await CodeFixRunner.FixAsync(
            Handler("var t = DateTimeOffset.UtcNow;", signature).Replace("[Service]", "[VirtualObject]", StringComparison.Ordinal), "KEEL013");
        Assert.Equal(Handler("var t = await objectContext.NowAsync();", signature).Replace("[Service]", "[VirtualObject]", StringComparison.Ordinal), fixedSource);
    }

    [Theory]
    // await cannot go into a non-async lambda.
    [InlineData("KEEL013", "var ts = new[] { 1 }.Select(_ => DateTime.UtcNow).ToList();")]
    // A used HttpResponseMessage cannot be journaled.
    [InlineData("KEEL020", "using var r = await http.GetAsync(\"https://pay\");")]
    // Task.Delay with a token has no durable equivalent to rewrite to mechanically.
    [InlineData("KEEL018", "await Task.Delay(10, CancellationToken.None);")]
    // Not awaited: the future's type would differ from Task.
    [InlineData("KEEL018", "var pending = Task.Delay(10); await pending;")]
    public async Task No_fix_is_offered_where_the_rewrite_would_not_compile_or_journal(string id, string body)
    {
        Assert.Null(await CodeFixRunner.FixAsync(Handler(body).Replace("using System;", "using System; using System.Linq;", StringComparison.Ordinal), id));
    }

    [Fact]
    public async Task Guid_fix_uses_the_SDKs_deterministic_Random_NextGuid()
    {
        var fixedSource = await CodeFixRunner.FixAsync(Handler("var id = Guid.NewGuid();"), "KEEL014");
        Assert.Equal(Handler("var id = ctx.Random.NextGuid();"), fixedSource);
    }

    [Theory]
    [InlineData("KEEL006", "[Handler] public static Task Go(IContext ctx) => Task.CompletedTask;", "[Handler] public Task Go(IContext ctx) => Task.CompletedTask;")]
    [InlineData("KEEL006", "[Handler]\n    static Task Go(IContext ctx) => Task.CompletedTask;", null)]
    [InlineData("KEEL007", "[Handler] private Task Go(IContext ctx) => Task.CompletedTask;", "[Handler] public Task Go(IContext ctx) => Task.CompletedTask;")]
    [InlineData("KEEL007", "[Handler] protected internal Task Go(IContext ctx) => Task.CompletedTask;", "[Handler] public Task Go(IContext ctx) => Task.CompletedTask;")]
    [InlineData("KEEL007", "[Handler]\n    Task Go(IContext ctx) => Task.CompletedTask;", "[Handler]\n    public Task Go(IContext ctx) => Task.CompletedTask;")]
    [InlineData("KEEL007", "[Handler] async Task Go(IContext ctx) => await Task.CompletedTask;", "[Handler] public async Task Go(IContext ctx) => await Task.CompletedTask;")]
    public async Task Handler_shape_fix_rewrites_the_modifiers(string id, string before, string? after)
    {
        static string Service(string member) => AnalyzerRunner.Usings + "[Service]\npublic class S\n{\n    " + member + "\n}\n";
        var fixedSource = await CodeFixRunner.FixAsync(Service(before), id);
        if (after is null)
        {
            // "static Task Go" without an access modifier: removing static leaves KEEL007, whose fix adds public.
            Assert.Equal(Service("[Handler]\n    Task Go(IContext ctx) => Task.CompletedTask;"), fixedSource);
            return;
        }

        Assert.Equal(Service(after), fixedSource);
        await AssertCompilesCleanAsync(fixedSource!);
    }

    private static async Task AssertCompilesCleanAsync(string source)
    {
        var (diagnostics, errors) = await AnalyzerRunner.RunAsync(source);
        Assert.Empty(errors);
        Assert.Empty(diagnostics);
    }
}
