namespace Keel.Sdk.Generators.Tests;

public class ClientGeneratorTests
{
    private const string Counter = """
        using System.Threading.Tasks;
        using Keel.Sdk;

        namespace Demo;

        public sealed record Update(long OldValue, long NewValue);

        [VirtualObject]
        public sealed class Counter
        {
            [Handler] public Task<Update> AddAsync(IObjectContext ctx, long delta) => Task.FromResult(new Update(0, delta));
            [Handler, Shared] public Task<long> Get(ISharedObjectContext ctx) => Task.FromResult(0L);
            [Handler("zero")] public Task Reset(IObjectContext ctx) => Task.CompletedTask;
        }

        [Service]
        public sealed class Caller
        {
            [Handler]
            public async Task<long> Go(IContext ctx)
            {
                var update = await ctx.Object<CounterClient>("Mary").AddAsync(1);
                ctx.Object<CounterClient>("Mary").Send(System.TimeSpan.FromSeconds(5)).Reset();
                ctx.Object<CounterClient>("Mary").Send().Add(2);
                await ctx.Object<CounterClient>("Mary").ResetAsync();
                await ctx.Service<CallerClient>().GoAsync();
                return update.NewValue;
            }
        }
        """;

    [Fact]
    public void Generated_client_matches_the_snapshot_and_compiles_in_use()
    {
        var (sources, diagnostics, errors) = GeneratorRunner.Run(Counter);
        Assert.Empty(diagnostics);
        Assert.Empty(errors);
        var counter = sources.Single(s => s.HintName == "Demo.CounterClient.g.cs").SourceText.ToString();
        if (Environment.GetEnvironmentVariable("KEEL_UPDATE_SNAPSHOTS") is { Length: > 0 } sourceDir)
        {
            // KEEL_UPDATE_SNAPSHOTS=<this test folder> rewrites the snapshot; review the diff before committing.
            File.WriteAllText(Path.Combine(sourceDir, "Snapshots", "CounterClient.g.cs.txt"), counter);
        }

        var snapshot = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snapshots", "CounterClient.g.cs.txt"));
        Assert.Equal(snapshot.ReplaceLineEndings(), counter.ReplaceLineEndings());
    }

    [Theory]
    [InlineData("[Service] public sealed class S { [Handler] public Task<int> Add(int a) => Task.FromResult(a); }", "KEEL001", "takes a context first")]
    [InlineData("[Service] public sealed class S { [Handler] public int Get(IContext ctx) => 1; }", "KEEL002", "returns Task")]
    [InlineData("[VirtualObject] public sealed class S { [Handler, Shared] public Task Set(IObjectContext ctx) => Task.CompletedTask; }", "KEEL003", "cannot write state")]
    [InlineData("[Service] public sealed class S { [Handler] public Task Get(IObjectContext ctx) => Task.CompletedTask; }", "KEEL003", "service handlers take IContext")]
    [InlineData("[Workflow] public sealed class S { [Handler] public Task Click(ISharedWorkflowContext ctx) => Task.CompletedTask; }", "KEEL004", "exactly one handler taking IWorkflowContext")]
    [InlineData("[Service] public sealed class S { [Handler] public Task A(IContext ctx) => Task.CompletedTask; [Handler(\"a\")] public Task B(IContext ctx) => Task.CompletedTask; }", "KEEL005", "already exists")]
    [InlineData("[Service] public sealed class S { [Handler] public Task Add(IContext ctx) => Task.CompletedTask; [Handler] public Task AddAsync(IContext ctx) => Task.CompletedTask; }", "KEEL005", "'add' already exists")]
    public void Invalid_handler_signatures_are_compile_time_errors(string declaration, string id, string message)
    {
        var (sources, diagnostics, _) = GeneratorRunner.Run("using System.Threading.Tasks; using Keel.Sdk; " + declaration);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(Microsoft.CodeAnalysis.DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(sources);
    }

    [Fact]
    public void Unchanged_input_is_served_from_the_incremental_cache()
    {
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create("Test",
            [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(Counter)],
            [Microsoft.CodeAnalysis.MetadataReference.CreateFromFile(typeof(object).Assembly.Location), Microsoft.CodeAnalysis.MetadataReference.CreateFromFile(typeof(Keel.Sdk.IContext).Assembly.Location)]);
        Microsoft.CodeAnalysis.GeneratorDriver driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(
            [Microsoft.CodeAnalysis.GeneratorExtensions.AsSourceGenerator(new ClientGenerator())], driverOptions: new Microsoft.CodeAnalysis.GeneratorDriverOptions(default, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGenerators(compilation);
        driver = driver.RunGenerators(compilation.AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("class Unrelated {}")));
        var outputs = driver.GetRunResult().Results.Single().TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs);
        Assert.All(outputs, o => Assert.Equal(Microsoft.CodeAnalysis.IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void A_trailing_CancellationToken_is_not_a_client_parameter()
    {
        var (sources, diagnostics, errors) = GeneratorRunner.Run("""
            using System.Threading; using System.Threading.Tasks; using Keel.Sdk;
            [Service] public sealed class S
            {
                [Handler] public Task<int> Go(IContext ctx, int input, CancellationToken ct) => Task.FromResult(input);
                [Handler] public Task Stop(IContext ctx, CancellationToken ct) => Task.CompletedTask;
            }
            """);
        Assert.Empty(diagnostics);
        Assert.Empty(errors);
        var client = Assert.Single(sources).SourceText.ToString();
        Assert.Contains("public global::Keel.Sdk.DurableFuture<int> GoAsync(int input, global::Keel.Sdk.CallOptions? options = null)", client, StringComparison.Ordinal);
        Assert.Contains("public global::Keel.Sdk.DurableFuture StopAsync(global::Keel.Sdk.CallOptions? options = null)", client, StringComparison.Ordinal);
        Assert.Contains("public global::Keel.Sdk.InvocationHandle Go(int input) =>", client, StringComparison.Ordinal);
        // The in-handler clients have no token; the ingress clients take the caller's own token instead.
        var ingressStart = client.IndexOf("sealed class SIngressClient", StringComparison.Ordinal);
        Assert.True(ingressStart > 0);
        Assert.DoesNotContain("CancellationToken", client[..ingressStart], StringComparison.Ordinal);
        var ingress = client[ingressStart..];
        Assert.Contains("public global::System.Threading.Tasks.Task<int> GoAsync(int input, global::Keel.Sdk.IngressCallOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)", ingress, StringComparison.Ordinal);
        Assert.Contains("public global::System.Threading.Tasks.Task StopAsync(global::Keel.Sdk.IngressCallOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)", ingress, StringComparison.Ordinal);
        Assert.Contains("public global::System.Threading.Tasks.Task<global::Keel.Sdk.SendResult> GoAsync(int input, global::System.Threading.CancellationToken cancellationToken = default)", ingress, StringComparison.Ordinal);
    }

    [Fact]
    public void Static_private_and_generic_handlers_get_no_client_method()
    {
        var (sources, diagnostics, _) = GeneratorRunner.Run("""
            using System.Threading.Tasks; using Keel.Sdk;
            [Service] public sealed class S
            {
                [Handler] public Task Go(IContext ctx) => Task.CompletedTask;
                [Handler] private Task Hidden(IContext ctx) => Task.CompletedTask;
                [Handler] public static Task Static(IContext ctx) => Task.CompletedTask;
                [Handler] public Task Generic<T>(IContext ctx, T input) => Task.CompletedTask;
            }
            """);
        Assert.Empty(diagnostics); // HandlerAnalyzer reports these (KEEL006–008), not the generator
        var client = Assert.Single(sources).SourceText.ToString();
        Assert.Contains(" Go(", client, StringComparison.Ordinal);
        Assert.DoesNotContain("Hidden", client, StringComparison.Ordinal);
        Assert.DoesNotContain("Static", client, StringComparison.Ordinal);
        Assert.DoesNotContain("Generic", client, StringComparison.Ordinal);
    }
}
