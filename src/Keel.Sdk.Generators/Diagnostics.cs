using Microsoft.CodeAnalysis;

namespace Keel.Sdk.Generators
{
    /// <summary>
    /// Every Keel diagnostic. KEEL001–005 come from the client generator (they stop client generation);
    /// KEEL006 and later come from <see cref="HandlerAnalyzer"/> and <see cref="DeterminismAnalyzer"/>.
    /// Errors are mistakes that fail at start or at run time; warnings are replay (determinism) risks.
    /// </summary>
    internal static class Diagnostics
    {
        private const string Category = "Keel";
        private const string Determinism = "Keel.Determinism";

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

        public static readonly DiagnosticDescriptor StaticHandler = new(
            "KEEL006", "Handler must be an instance method",
            "Handler '{0}' is static: the SDK refuses the service when the endpoint starts (handlers are instance methods); remove 'static'",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor NonPublicHandler = new(
            "KEEL007", "Handler must be public",
            "Handler '{0}' is {1}: the runtime only registers public methods, so calls to it would never be served; make it public",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor GenericHandler = new(
            "KEEL008", "Handler cannot be generic",
            "Handler '{0}' is generic: the runtime cannot choose its type arguments; use concrete input and output types",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor HandlerOutsideService = new(
            "KEEL009", "[Handler] outside a service class",
            "'{0}' is a [Handler] but '{1}' has none of [Service], [VirtualObject] or [Workflow]; add one of them to the class (or make it an abstract base class)",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor NoHandlers = new(
            "KEEL010", "Service has no handlers",
            "'{0}' is a {1} without any [Handler] method, so it fails at start; add a public [Handler] method or remove the attribute",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor CancellationTokenPosition = new(
            "KEEL011", "CancellationToken must be the handler's last parameter",
            "Handler '{0}': a CancellationToken is not an input; take at most one, as the last parameter (after the context and the input)",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor NamesDifferInCase = new(
            "KEEL012", "Handler names differ only in case",
            "Handler name '{0}' differs from '{1}' only in case; callers and URLs will confuse them, rename one",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor WallClock = new(
            "KEEL013", "Wall-clock time in a handler",
            "'{0}' reads the clock, which differs on replay; use 'await {1}.NowAsync()' (journaled) or read it inside RunAsync",
            Determinism, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor NewGuid = new(
            "KEEL014", "Random Guid in a handler",
            "'{0}' gives a different value on replay; derive it from '{1}.Random' or create it inside RunAsync",
            Determinism, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnseededRandom = new(
            "KEEL015", "Unseeded random in a handler",
            "'{0}' gives different numbers on replay; use '{1}.Random' (seeded per invocation)",
            Determinism, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor Timing = new(
            "KEEL016", "Timer reading in a handler",
            "'{0}' measures elapsed time, which differs on replay; subtract two 'await {1}.NowAsync()' values or measure inside RunAsync",
            Determinism, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor LeavesPump = new(
            "KEEL017", "Thread, thread-pool work or timer in a handler",
            "'{0}' runs code off the invocation's pump, where a context call throws InvalidOperationException at once (failing the attempt) and ordering is not replayed; await context futures (DurableFuture.All, SleepAsync, Send with a delay) or put the work inside RunAsync",
            Determinism, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor TaskDelay = new(
            "KEEL018", "Task.Delay in a handler",
            "'{0}' is not durable: a retried or resumed invocation waits again; use 'await {1}.SleepAsync(...)'",
            Determinism, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor ConfigureAwaitFalse = new(
            "KEEL019", "ConfigureAwait(false) in a handler",
            "ConfigureAwait(false) resumes the handler off its pump, so its next context call throws InvalidOperationException at once and the attempt fails (again on every retry); remove it",
            Determinism, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor DirectHttp = new(
            "KEEL020", "HttpClient call outside RunAsync",
            "'{0}' is repeated on every replay and its result is not journaled; wrap it in 'await {1}.RunAsync(\"name\", () => ...)'",
            Determinism, DiagnosticSeverity.Warning, isEnabledByDefault: true);

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
