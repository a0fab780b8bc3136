using Microsoft.CodeAnalysis;

namespace Keel.Sdk.Generators
{
    internal static class Diagnostics
    {
        private const string Category = "Keel";

        public static readonly DiagnosticDescriptor ContextFirst = new(
            "KEEL001", "Handler must take a context first", "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor ReturnType = new(
            "KEEL002", "Handler must return an awaitable", "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor ContextKind = new(
            "KEEL003", "Handler context does not fit the service kind", "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor WorkflowRun = new(
            "KEEL004", "A workflow needs exactly one run handler", "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor DuplicateName = new(
            "KEEL005", "Duplicate handler name", "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static DiagnosticDescriptor For(string id) => id switch
        {
            "KEEL001" => ContextFirst,
            "KEEL002" => ReturnType,
            "KEEL003" => ContextKind,
            "KEEL004" => WorkflowRun,
            _ => DuplicateName,
        };
    }
}
