using System.Globalization;
using Microsoft.CodeAnalysis;

namespace Keel.Sdk.Generators.Tests;

public class HandlerAnalyzerTests
{
    [Theory]
    [InlineData("KEEL006", "[Service] public sealed class S { [Handler] public static Task [|Go|](IContext ctx) => Task.CompletedTask; }", "the SDK refuses the service when the endpoint starts (handlers are instance methods); remove 'static'")]
    [InlineData("KEEL007", "[Service] public sealed class S { [Handler] private Task [|Go|](IContext ctx) => Task.CompletedTask; }", "is private")]
    [InlineData("KEEL007", "[Service] public sealed class S { [Handler] Task [|Go|](IContext ctx) => Task.CompletedTask; }", "make it public")]
    [InlineData("KEEL007", "[Service] public sealed class S { [Handler] internal Task [|Go|](IContext ctx) => Task.CompletedTask; }", "is internal")]
    [InlineData("KEEL008", "[Service] public sealed class S { [Handler] public Task [|Go|]<T>(IContext ctx, T input) => Task.CompletedTask; }", "is generic")]
    [InlineData("KEEL009", "public sealed class S { [Handler] public Task [|Go|](IContext ctx) => Task.CompletedTask; }", "none of [Service], [VirtualObject] or [Workflow]")]
    [InlineData("KEEL010", "[VirtualObject] public sealed class [|S|] { public Task Go(IObjectContext ctx) => Task.CompletedTask; }", "is a [VirtualObject] without any [Handler]")]
    [InlineData("KEEL010", "[Service] public sealed class [|S|] { }", "is a [Service] without any [Handler]")]
    [InlineData("KEEL011", "[Service] public sealed class S { [Handler] public Task Go(IContext ctx, CancellationToken [|ct|], int input) => Task.CompletedTask; }", "as the last parameter")]
    [InlineData("KEEL011", "[Service] public sealed class S { [Handler] public Task Go(IContext ctx, CancellationToken [|a|], CancellationToken b) => Task.CompletedTask; }", "take at most one")]
    [InlineData("KEEL012", "[Service] public sealed class S { [Handler] public Task Add(IContext ctx) => Task.CompletedTask; [Handler(\"Add\")] public Task [|Other|](IContext ctx) => Task.CompletedTask; }", "'Add' differs from 'add' only in case")]
    public async Task Diagnostic_fires_at_the_handler(string id, string markup, string message)
    {
        var (source, span) = Markup.Parse(AnalyzerRunner.Usings + markup);
        var (diagnostics, _) = await AnalyzerRunner.RunAsync(source);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Equal(id == "KEEL012" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(message, diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[Service] public sealed class S { [Handler] public Task Go(IContext ctx, int input, CancellationToken ct) => Task.CompletedTask; }")]
    [InlineData("[Service] public sealed class S { [Handler] public Task Go(IContext ctx, CancellationToken ct) => Task.CompletedTask; }")]
    [InlineData("[Service] public sealed class S { [Handler] public Task Go(IContext ctx) => Task.CompletedTask; private static Task Helper() => Task.CompletedTask; }")]
    [InlineData("public abstract class Base { [Handler] public Task Go(IContext ctx) => Task.CompletedTask; } [Service] public sealed class S : Base { }")]
    [InlineData("public sealed class NotAService { public static Task Go(IContext ctx) => Task.CompletedTask; }")]
    [InlineData("[Service] public sealed class S { [Handler] public Task Add(IContext ctx) => Task.CompletedTask; [Handler(\"remove\")] public Task Other(IContext ctx) => Task.CompletedTask; }")]
    public async Task Valid_handler_shapes_are_quiet(string declaration)
    {
        var (diagnostics, errors) = await AnalyzerRunner.RunAsync(AnalyzerRunner.Usings + declaration);
        Assert.Empty(errors);
        Assert.Empty(diagnostics);
    }
}
