using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Keel.Sdk.Generators
{
    /// <summary>Reads a [Service]/[VirtualObject]/[Workflow] class into a model, with the same rules the runtime checks.</summary>
    internal static class ServiceModelReader
    {
        private const string Sdk = "Keel.Sdk.";

        public static ServiceModel Read(INamedTypeSymbol type, AttributeData attribute)
        {
            var kind = attribute.AttributeClass!.Name.Replace("Attribute", string.Empty);
            var serviceName = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Name").Value.Value as string ?? type.Name;
            var handlers = ImmutableArray.CreateBuilder<HandlerModel>();
            var diagnostics = ImmutableArray.CreateBuilder<DiagnosticModel>();
            var runHandlers = 0;
            var names = new HashSet<string>();
            foreach (var method in type.GetMembers().OfType<IMethodSymbol>())
            {
                var handlerAttribute = method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == Sdk + "HandlerAttribute");
                if (handlerAttribute is null)
                {
                    continue;
                }

                // Static, non-public and generic handlers are never registered by the runtime: HandlerAnalyzer
                // reports them (KEEL006–008); they get no client method.
                if (method.IsStatic || method.DeclaredAccessibility != Accessibility.Public || method.IsGenericMethod)
                {
                    continue;
                }

                var location = LocationModel.From(method.Locations.FirstOrDefault());
                void Report(string id, string message) => diagnostics.Add(new DiagnosticModel(id, $"{type.Name}.{method.Name}: {message}", location));

                // A trailing CancellationToken is supplied by the runtime, not by the caller: it is no input.
                var parameters = method.Parameters;
                if (parameters.Length > 0 && KeelSymbols.IsCancellationToken(parameters[parameters.Length - 1].Type))
                {
                    parameters = parameters.RemoveAt(parameters.Length - 1);
                }

                if (parameters.Any(p => KeelSymbols.IsCancellationToken(p.Type)))
                {
                    continue; // KEEL011 (HandlerAnalyzer)
                }

                if (parameters.Length is < 1 or > 2 || !IsContext(parameters[0].Type))
                {
                    Report("KEEL001", "a handler takes a context first, at most one input and optionally a CancellationToken last, e.g. (IObjectContext ctx, int delta).");
                    continue;
                }

                var output = OutputOf(method.ReturnType, out var awaitable);
                if (!awaitable)
                {
                    Report("KEEL002", $"a handler returns Task, Task<T>, ValueTask or ValueTask<T>, not {method.ReturnType.ToDisplayString()}.");
                    continue;
                }

                var context = parameters[0].Type.Name;
                var shared = method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == Sdk + "SharedAttribute");
                var problem = ContextProblem(kind, context, shared);
                if (problem is not null)
                {
                    Report("KEEL003", problem);
                }

                if (kind == "Workflow" && context == "IWorkflowContext")
                {
                    runHandlers++;
                }

                var wireName = handlerAttribute.ConstructorArguments.FirstOrDefault().Value as string ?? WireName(method.Name);
                if (!names.Add(wireName))
                {
                    Report("KEEL005", $"a handler named '{wireName}' already exists.");
                    continue;
                }

                var input = parameters.Length == 2 ? parameters[1].Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) : null;
                handlers.Add(new HandlerModel(method.Name, wireName, input, output));
            }

            if (kind == "Workflow" && runHandlers != 1)
            {
                diagnostics.Add(new DiagnosticModel("KEEL004", $"{type.Name}: a workflow needs exactly one handler taking IWorkflowContext (its run handler).", LocationModel.From(type.Locations.FirstOrDefault())));
            }

            var ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
            return new ServiceModel(ns, type.Name, serviceName, kind, type.DeclaredAccessibility == Accessibility.Public,
                new EquatableArray<HandlerModel>(handlers.ToImmutable()), new EquatableArray<DiagnosticModel>(diagnostics.ToImmutable()));
        }

        private static bool IsContext(ITypeSymbol type) =>
            type.ContainingNamespace?.ToDisplayString() == "Keel.Sdk"
            && type.Name is "IContext" or "ISharedObjectContext" or "IObjectContext" or "ISharedWorkflowContext" or "IWorkflowContext";

        private static string? ContextProblem(string kind, string context, bool shared) => kind switch
        {
            "Service" when context != "IContext" => "service handlers take IContext.",
            "Service" when shared => "[Shared] only applies to objects and workflows.",
            "VirtualObject" when context.Contains("Workflow") => "object handlers take IObjectContext or ISharedObjectContext, not a workflow context.",
            "VirtualObject" when shared && context == "IObjectContext" => "a [Shared] handler cannot write state: take ISharedObjectContext.",
            "Workflow" when context == "IWorkflowContext" && shared => "the workflow run handler cannot be [Shared].",
            "Workflow" when context != "IWorkflowContext" && context != "ISharedWorkflowContext" => "workflow handlers take IWorkflowContext (the run handler) or ISharedWorkflowContext.",
            _ => null,
        };

        /// <summary>The handler's result type (null for no value); <paramref name="awaitable"/> false if not a Task/ValueTask.</summary>
        private static string? OutputOf(ITypeSymbol returnType, out bool awaitable)
        {
            awaitable = false;
            if (returnType is not INamedTypeSymbol named || named.ContainingNamespace?.ToDisplayString() != "System.Threading.Tasks")
            {
                return null;
            }

            if (named.Name is not ("Task" or "ValueTask"))
            {
                return null;
            }

            awaitable = true;
            return named.IsGenericType ? named.TypeArguments[0].ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) : null;
        }

        /// <summary>"AddAsync" → "add": same rule as the runtime's reflection reader.</summary>
        public static string WireName(string methodName)
        {
            var name = methodName.EndsWith("Async", System.StringComparison.Ordinal) && methodName.Length > 5 ? methodName.Substring(0, methodName.Length - 5) : methodName;
            return char.ToLowerInvariant(name[0]) + name.Substring(1);
        }
    }
}
