using System.Linq;
using Microsoft.CodeAnalysis;

namespace Keel.Sdk.Generators
{
    /// <summary>Recognises Keel's attributes and types by name (the analyzers never load Keel.Sdk).</summary>
    internal static class KeelSymbols
    {
        public const string Namespace = "Keel.Sdk";

        public static bool IsInKeelSdk(ISymbol? symbol) => symbol?.ContainingNamespace?.ToDisplayString() == Namespace;

        public static bool IsHandler(IMethodSymbol method) =>
            method.GetAttributes().Any(a => a.AttributeClass is { Name: "HandlerAttribute" } c && IsInKeelSdk(c));

        /// <summary>"Service", "VirtualObject" or "Workflow"; null when the type has none of the attributes.</summary>
        public static string? KindOf(INamedTypeSymbol type) =>
            type.GetAttributes()
                .Select(a => a.AttributeClass)
                .Where(c => c is not null && IsInKeelSdk(c) && c.Name is "ServiceAttribute" or "VirtualObjectAttribute" or "WorkflowAttribute")
                .Select(c => c!.Name.Substring(0, c.Name.Length - "Attribute".Length))
                .FirstOrDefault();

        public static bool IsContext(ITypeSymbol type) =>
            IsInKeelSdk(type) && type.Name is "IContext" or "ISharedObjectContext" or "IObjectContext" or "ISharedWorkflowContext" or "IWorkflowContext";

        public static bool IsCancellationToken(ITypeSymbol type) =>
            type.Name == "CancellationToken" && type.ContainingNamespace?.ToDisplayString() == "System.Threading";

        /// <summary>The wire name: [Handler("name")] or the method name camelCased without "Async".</summary>
        public static string WireName(IMethodSymbol method)
        {
            var attribute = method.GetAttributes().First(a => a.AttributeClass is { Name: "HandlerAttribute" } c && IsInKeelSdk(c));
            return attribute.ConstructorArguments.FirstOrDefault().Value as string ?? ServiceModelReader.WireName(method.Name);
        }
    }
}
