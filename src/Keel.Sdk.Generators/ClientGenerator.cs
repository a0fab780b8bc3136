using Microsoft.CodeAnalysis;

namespace Keel.Sdk.Generators
{
    /// <summary>
    /// For every [Service], [VirtualObject] and [Workflow] class: a typed client
    /// (<c>await ctx.Object&lt;CounterClient&gt;("Mary").Add(1)</c>), a send client, and compile-time
    /// errors for handler signatures the runtime would reject.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class ClientGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            foreach (var attribute in new[] { "Keel.Sdk.ServiceAttribute", "Keel.Sdk.VirtualObjectAttribute", "Keel.Sdk.WorkflowAttribute" })
            {
                var models = context.SyntaxProvider.ForAttributeWithMetadataName(
                    attribute,
                    static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                    static (ctx, _) => ServiceModelReader.Read((INamedTypeSymbol)ctx.TargetSymbol, ctx.Attributes[0]));
                context.RegisterSourceOutput(models, Emit);
            }
        }

        private static void Emit(SourceProductionContext context, ServiceModel model)
        {
            foreach (var d in model.Diagnostics)
            {
                context.ReportDiagnostic(Diagnostic.Create(Diagnostics.For(d.Id), d.Location?.ToLocation(), d.Message));
            }

            if (model.Diagnostics.Items.Length == 0 && model.Handlers.Items.Length > 0)
            {
                var hint = (model.Namespace is null ? string.Empty : model.Namespace + ".") + model.ClassName + "Client.g.cs";
                context.AddSource(hint, ClientEmitter.Emit(model));
            }
        }
    }
}
