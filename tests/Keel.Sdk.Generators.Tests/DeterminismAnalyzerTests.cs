using System.Globalization;
using Microsoft.CodeAnalysis;

namespace Keel.Sdk.Generators.Tests;

public class DeterminismAnalyzerTests
{
    /// <summary>A service whose handler body is BODY; the class has an HttpClient field.</summary>
    internal static string InHandler(string body) => AnalyzerRunner.Usings + """
        [Service]
        public sealed class Orders
        {
            private readonly HttpClient http = new();

            [Handler]
            public async Task<string> Place(IContext ctx, string order)
            {
                BODY
                return order;
            }
        }
        """.Replace("BODY", body, StringComparison.Ordinal);

    [Theory]
    [InlineData("KEEL013", "var t = [|DateTime.UtcNow|];", "'DateTime.UtcNow' reads the clock")]
    [InlineData("KEEL013", "var t = [|DateTime.Now|];", "await ctx.NowAsync()")]
    [InlineData("KEEL013", "var t = [|DateTime.Today|];", "'DateTime.Today'")]
    [InlineData("KEEL013", "var t = [|DateTimeOffset.UtcNow|];", "'DateTimeOffset.UtcNow'")]
    [InlineData("KEEL013", "var t = [|DateTimeOffset.Now|];", "'DateTimeOffset.Now'")]
    [InlineData("KEEL014", "var id = [|Guid.NewGuid()|];", "'Guid.NewGuid' gives a different value on replay")]
    [InlineData("KEEL015", "var r = [|new Random()|];", "use 'ctx.Random'")]
    [InlineData("KEEL015", "var n = [|Random.Shared|].Next();", "'Random.Shared'")]
    [InlineData("KEEL016", "var sw = [|System.Diagnostics.Stopwatch.StartNew()|];", "'Stopwatch.StartNew' measures")]
    [InlineData("KEEL016", "var sw = [|new System.Diagnostics.Stopwatch()|];", "'new Stopwatch'")]
    [InlineData("KEEL016", "var t = [|Environment.TickCount64|];", "'Environment.TickCount64'")]
    [InlineData("KEEL016", "var t = [|Environment.TickCount|];", "'Environment.TickCount'")]
    [InlineData("KEEL017", "await [|Task.Run(() => 1)|];", "'Task.Run' runs code off the invocation's pump, where a context call throws InvalidOperationException at once")]
    [InlineData("KEEL017", "await [|Task.Factory.StartNew(() => 1)|];", "'TaskFactory.StartNew'")]
    [InlineData("KEEL017", "[|ThreadPool.QueueUserWorkItem(_ => { })|];", "'ThreadPool.QueueUserWorkItem'")]
    [InlineData("KEEL017", "var th = [|new Thread(() => { })|];", "'new Thread'")]
    [InlineData("KEEL017", "using var tm = [|new Timer(_ => { }, null, 0, 10)|];", "'new Timer'")]
    [InlineData("KEEL017", "using var tm = [|new System.Timers.Timer(10)|];", "'new Timer'")]
    [InlineData("KEEL017", "using var tm = [|new PeriodicTimer(TimeSpan.FromSeconds(1))|];", "'new PeriodicTimer'")]
    [InlineData("KEEL018", "await [|Task.Delay(100)|];", "use 'await ctx.SleepAsync(...)'")]
    [InlineData("KEEL019", "await Task.CompletedTask[|.ConfigureAwait(false)|];", "its next context call throws InvalidOperationException at once and the attempt fails (again on every retry); remove it")]
    [InlineData("KEEL020", "var s = await [|http.GetStringAsync(\"https://pay\")|];", "'HttpClient.GetStringAsync' is repeated on every replay")]
    [InlineData("KEEL020", "using var r = await [|http.PostAsync(\"https://pay\", null)|];", "'HttpClient.PostAsync'")]
    [InlineData("KEEL020", "using var r = await [|http.SendAsync(new HttpRequestMessage())|];", "wrap it in 'await ctx.RunAsync(")]
    [InlineData("KEEL013", "var times = new[] { 1 }.Select(_ => [|DateTime.UtcNow|]).ToList();", "reads the clock")]
    [InlineData("KEEL013", "async Task<DateTime> Local() { await Task.Yield(); return [|DateTime.UtcNow|]; } await Local();", "reads the clock")]
    public async Task Diagnostic_fires_inside_a_handler(string id, string body, string message)
    {
        var (source, span) = Markup.Parse(InHandler(body).Replace("using System;", "using System; using System.Linq;", StringComparison.Ordinal));
        var (diagnostics, errors) = await AnalyzerRunner.RunAsync(source);
        Assert.Empty(errors);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Contains(message, diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal("ctx", diagnostic.Properties[DeterminismAnalyzer.ContextProperty]);
    }

    [Theory]
    // Inside RunAsync closures: the result is journaled, so these are the right place for effects.
    [InlineData("var t = await ctx.RunAsync(\"now\", () => Task.FromResult(DateTime.UtcNow));")]
    [InlineData("var id = await ctx.RunAsync(\"id\", () => Task.FromResult(Guid.NewGuid()));")]
    [InlineData("var s = await ctx.RunAsync(\"pay\", async () => { await Task.Delay(10).ConfigureAwait(false); return await http.GetStringAsync(\"https://pay\"); });")]
    [InlineData("await ctx.RunAsync(\"side\", async () => { var sw = System.Diagnostics.Stopwatch.StartNew(); await Task.Run(() => new Random().Next()); });")]
    [InlineData("var n = await ctx.RunAsync(\"nested\", () => Task.FromResult(new[] { 1 }.Select(_ => Environment.TickCount).Sum()));")]
    // Deterministic look-alikes.
    [InlineData("var r = new Random(42).Next(); var n = ctx.Random.Next(); var t = await ctx.NowAsync();")]
    [InlineData("await Task.CompletedTask.ConfigureAwait(true);")]
    [InlineData("var d = DateTime.MinValue; var g = Guid.Empty; var x = TimeSpan.FromSeconds(1);")]
    public async Task Diagnostic_is_quiet_for_journaled_or_deterministic_code(string body)
    {
        var (diagnostics, errors) = await AnalyzerRunner.RunAsync(InHandler(body).Replace("using System;", "using System; using System.Linq;", StringComparison.Ordinal));
        Assert.Empty(errors);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task Code_outside_handlers_is_not_checked()
    {
        var (diagnostics, errors) = await AnalyzerRunner.RunAsync(AnalyzerRunner.Usings + """
            [Service]
            public sealed class Orders
            {
                [Handler] public Task<DateTime> Place(IContext ctx) => Task.FromResult(Stamp());
                private static DateTime Stamp() => DateTime.UtcNow;
            }

            public static class Helpers
            {
                public static async Task<Guid> Later() { await Task.Delay(10).ConfigureAwait(false); return Guid.NewGuid(); }
            }
            """);
        Assert.Empty(errors);
        Assert.Empty(diagnostics);
    }
}
