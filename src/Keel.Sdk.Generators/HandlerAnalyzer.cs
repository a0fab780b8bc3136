using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Keel.Sdk.Generators
{
    /// <summary>
    /// Handler shapes the runtime would reject or silently ignore: static, non-public or generic handlers,
    /// [Handler] outside a service class, services without handlers, misplaced CancellationTokens, and
    /// handler names that differ only in case. (Signature and kind errors KEEL001–005 come from the generator.)
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class HandlerAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Diagnostics.StaticHandler, Diagnostics.NonPublicHandler, Diagnostics.GenericHandler, Diagnostics.HandlerOutsideService,
            Diagnostics.NoHandlers, Diagnostics.CancellationTokenPosition, Diagnostics.NamesDifferInCase);

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterSymbolAction(AnalyzeType, SymbolKind.NamedType);
        }

        private static void AnalyzeType(SymbolAnalysisContext context)
        {
            var type = (INamedTypeSymbol)context.Symbol;
            if (type.TypeKind != TypeKind.Class)
            {
                return;
            }

            var handlers = type.GetMembers().OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary && KeelSymbols.IsHandler(m)).ToList();
            var kind = KeelSymbols.KindOf(type);
            if (kind is null)
            {
                if (!type.IsAbstract)
                {
                    foreach (var method in handlers)
                    {
                        context.ReportDiagnostic(Diagnostic.Create(Diagnostics.HandlerOutsideService, method.Locations.FirstOrDefault(), method.Name, type.Name));
                    }
                }

                return;
            }

            if (handlers.Count == 0 && !InheritsHandlers(type))
            {
                var words = kind switch { "VirtualObject" => "[VirtualObject]", "Workflow" => "[Workflow]", _ => "[Service]" };
                context.ReportDiagnostic(Diagnostic.Create(Diagnostics.NoHandlers, type.Locations.FirstOrDefault(), type.Name, words));
                return;
            }

            var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var method in handlers)
            {
                var location = method.Locations.FirstOrDefault();
                if (method.IsStatic)
                {
                    context.ReportDiagnostic(Diagnostic.Create(Diagnostics.StaticHandler, location, method.Name));
                }

                if (method.DeclaredAccessibility != Accessibility.Public)
                {
                    context.ReportDiagnostic(Diagnostic.Create(Diagnostics.NonPublicHandler, location, method.Name, AccessibilityWords(method.DeclaredAccessibility)));
                }

                if (method.IsGenericMethod)
                {
                    context.ReportDiagnostic(Diagnostic.Create(Diagnostics.GenericHandler, location, method.Name));
                }

                var tokens = method.Parameters.Where(p => KeelSymbols.IsCancellationToken(p.Type)).ToList();
                foreach (var misplaced in tokens.Where(p => p.Ordinal != method.Parameters.Length - 1 || tokens.Count > 1 && p.Ordinal != tokens[tokens.Count - 1].Ordinal))
                {
                    context.ReportDiagnostic(Diagnostic.Create(Diagnostics.CancellationTokenPosition, misplaced.Locations.FirstOrDefault() ?? location, method.Name));
                }

                var wireName = KeelSymbols.WireName(method);
                if (names.TryGetValue(wireName, out var other))
                {
                    if (!string.Equals(other, wireName, StringComparison.Ordinal))
                    {
                        context.ReportDiagnostic(Diagnostic.Create(Diagnostics.NamesDifferInCase, location, wireName, other));
                    }
                }
                else
                {
                    names.Add(wireName, wireName);
                }
            }
        }

        private static bool InheritsHandlers(INamedTypeSymbol type)
        {
            for (var t = type.BaseType; t is not null; t = t.BaseType)
            {
                if (t.GetMembers().OfType<IMethodSymbol>().Any(KeelSymbols.IsHandler))
                {
                    return true;
                }
            }

            return false;
        }

        private static string AccessibilityWords(Accessibility accessibility) => accessibility switch
        {
            Accessibility.Private => "private",
            Accessibility.Protected => "protected",
            Accessibility.Internal => "internal",
            Accessibility.ProtectedOrInternal => "protected internal",
            Accessibility.ProtectedAndInternal => "private protected",
            _ => "not public",
        };
    }
}
