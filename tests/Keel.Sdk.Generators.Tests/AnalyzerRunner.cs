using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Keel.Sdk.Generators.Tests;

/// <summary>Runs Keel's analyzers over a snippet compiled in memory against the framework and Keel.Sdk.</summary>
internal static class AnalyzerRunner
{
    public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = [new HandlerAnalyzer(), new DeterminismAnalyzer()];

    /// <summary>Every framework assembly of this process plus Keel.Sdk (System.Net.Http, System.Timers, … included).</summary>
    public static readonly ImmutableArray<MetadataReference> References =
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll" or "Microsoft.Extensions.Logging.Abstractions.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)),
        MetadataReference.CreateFromFile(typeof(Keel.Sdk.IContext).Assembly.Location),
    ];

    public const string Usings = "using System; using System.Threading; using System.Threading.Tasks; using System.Net.Http; using Keel.Sdk;\n";

    public static CSharpCompilation Compile(string source) =>
        CSharpCompilation.Create("Test",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: "Test.cs")],
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>The analyzers' diagnostics (sorted by position) and the compiler's errors.</summary>
    public static async Task<(ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<Diagnostic> Errors)> RunAsync(string source)
    {
        var compilation = Compile(source);
        var diagnostics = await compilation.WithAnalyzers(Analyzers).GetAnalyzerDiagnosticsAsync();
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        return ([.. diagnostics.OrderBy(d => d.Location.SourceSpan.Start)], errors);
    }
}
