using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace Keel.Sdk.Generators
{
    /// <summary>
    /// Replay risks inside [Handler] methods and the lambdas and local functions they contain: clocks,
    /// random values, timers, threads, Task.Delay, ConfigureAwait(false) and direct HttpClient calls.
    /// Code inside a <c>RunAsync(...)</c> closure is exempt: its result is journaled.
    /// Each diagnostic carries the handler's context parameter name as property <see cref="ContextProperty"/>.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class DeterminismAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property: the name of the handler's context parameter (absent when it has none).</summary>
        public const string ContextProperty = "Context";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Diagnostics.WallClock, Diagnostics.NewGuid, Diagnostics.UnseededRandom, Diagnostics.Timing,
            Diagnostics.LeavesPump, Diagnostics.TaskDelay, Diagnostics.ConfigureAwaitFalse, Diagnostics.DirectHttp);

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterOperationBlockStartAction(start =>
            {
                if (start.OwningSymbol is not IMethodSymbol { MethodKind: MethodKind.Ordinary } method || !KeelSymbols.IsHandler(method))
                {
                    return;
                }

                var contextName = method.Parameters.FirstOrDefault(p => KeelSymbols.IsContext(p.Type))?.Name;
                var properties = contextName is null
                    ? ImmutableDictionary<string, string?>.Empty
                    : ImmutableDictionary<string, string?>.Empty.Add(ContextProperty, contextName);
                var shown = contextName ?? "ctx";
                start.RegisterOperationAction(c => AnalyzeProperty(c, properties, shown), OperationKind.PropertyReference);
                start.RegisterOperationAction(c => AnalyzeInvocation(c, properties, shown), OperationKind.Invocation);
                start.RegisterOperationAction(c => AnalyzeCreation(c, properties, shown), OperationKind.ObjectCreation);
            });
        }

        private static void AnalyzeProperty(OperationAnalysisContext context, ImmutableDictionary<string, string?> properties, string ctx)
        {
            var reference = (IPropertyReferenceOperation)context.Operation;
            var property = reference.Property;
            if (!property.IsStatic)
            {
                return;
            }

            var type = property.ContainingType.ToDisplayString();
            DiagnosticDescriptor? descriptor = (type, property.Name) switch
            {
                ("System.DateTime", "Now" or "UtcNow" or "Today") => Diagnostics.WallClock,
                ("System.DateTimeOffset", "Now" or "UtcNow") => Diagnostics.WallClock,
                ("System.Environment", "TickCount" or "TickCount64") => Diagnostics.Timing,
                ("System.Random", "Shared") => Diagnostics.UnseededRandom,
                _ => null,
            };
            if (descriptor is not null && !InsideRunAsync(reference))
            {
                Report(context, descriptor, reference.Syntax.GetLocation(), properties, $"{property.ContainingType.Name}.{property.Name}", ctx);
            }
        }

        private static void AnalyzeInvocation(OperationAnalysisContext context, ImmutableDictionary<string, string?> properties, string ctx)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var method = invocation.TargetMethod;
            var type = method.ContainingType?.ToDisplayString();
            var shown = $"{method.ContainingType?.Name}.{method.Name}";
            DiagnosticDescriptor? descriptor = (type, method.Name) switch
            {
                ("System.Guid", "NewGuid" or "CreateVersion7") => Diagnostics.NewGuid,
                ("System.Diagnostics.Stopwatch", "StartNew" or "GetTimestamp" or "GetElapsedTime") => Diagnostics.Timing,
                ("System.Threading.Tasks.Task", "Run") => Diagnostics.LeavesPump,
                ("System.Threading.Tasks.TaskFactory", "StartNew") => Diagnostics.LeavesPump,
                ("System.Threading.ThreadPool", "QueueUserWorkItem" or "UnsafeQueueUserWorkItem") => Diagnostics.LeavesPump,
                ("System.Threading.Tasks.Task", "Delay") => Diagnostics.TaskDelay,
                _ => null,
            };
            var location = invocation.Syntax.GetLocation();
            if (descriptor is null && method.Name == "ConfigureAwait" && IsConstantFalse(invocation))
            {
                descriptor = Diagnostics.ConfigureAwaitFalse;
                if (invocation.Syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } syntax)
                {
                    // Point at ".ConfigureAwait(false)", not at the awaited expression before it.
                    location = Location.Create(syntax.SyntaxTree, TextSpan.FromBounds(access.OperatorToken.SpanStart, syntax.Span.End));
                }
            }

            if (descriptor is null && IsHttpClientCall(method))
            {
                descriptor = Diagnostics.DirectHttp;
                shown = "HttpClient." + method.Name;
            }

            if (descriptor is not null && !InsideRunAsync(invocation))
            {
                Report(context, descriptor, location, properties, shown, ctx);
            }
        }

        private static void AnalyzeCreation(OperationAnalysisContext context, ImmutableDictionary<string, string?> properties, string ctx)
        {
            var creation = (IObjectCreationOperation)context.Operation;
            var type = creation.Type?.ToDisplayString();
            DiagnosticDescriptor? descriptor = type switch
            {
                "System.Random" when creation.Arguments.Length == 0 => Diagnostics.UnseededRandom,
                "System.Diagnostics.Stopwatch" => Diagnostics.Timing,
                "System.Threading.Thread" or "System.Threading.Timer" or "System.Timers.Timer" or "System.Threading.PeriodicTimer" => Diagnostics.LeavesPump,
                _ => null,
            };
            if (descriptor is not null && !InsideRunAsync(creation))
            {
                Report(context, descriptor, creation.Syntax.GetLocation(), properties, $"new {creation.Type!.Name}", ctx);
            }
        }

        private static void Report(OperationAnalysisContext context, DiagnosticDescriptor descriptor, Location location, ImmutableDictionary<string, string?> properties, string what, string ctx) =>
            context.ReportDiagnostic(descriptor == Diagnostics.ConfigureAwaitFalse
                ? Diagnostic.Create(descriptor, location, properties)
                : Diagnostic.Create(descriptor, location, properties, what, ctx));

        private static bool IsConstantFalse(IInvocationOperation invocation) =>
            invocation.Arguments.Length == 1
            && invocation.Arguments[0].Value.ConstantValue is { HasValue: true, Value: false };

        /// <summary>Instance calls on HttpClient/HttpMessageInvoker and extension methods over HttpClient (GetFromJsonAsync, …).</summary>
        private static bool IsHttpClientCall(IMethodSymbol method)
        {
            var receiver = method.IsExtensionMethod
                ? (method.ReducedFrom ?? method).Parameters.FirstOrDefault()?.Type
                : method.IsStatic ? null : method.ContainingType;
            if (receiver is null || !IsHttpClientType(receiver))
            {
                return false;
            }

            var name = method.Name;
            return name.StartsWith("Get", System.StringComparison.Ordinal) || name.StartsWith("Post", System.StringComparison.Ordinal)
                || name.StartsWith("Put", System.StringComparison.Ordinal) || name.StartsWith("Patch", System.StringComparison.Ordinal)
                || name.StartsWith("Delete", System.StringComparison.Ordinal) || name.StartsWith("Send", System.StringComparison.Ordinal);
        }

        private static bool IsHttpClientType(ITypeSymbol type)
        {
            for (var t = type; t is not null; t = t.BaseType)
            {
                if (t.ContainingNamespace?.ToDisplayString() == "System.Net.Http" && t.Name is "HttpClient" or "HttpMessageInvoker")
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>True when the operation sits in a lambda passed to a Keel <c>RunAsync</c> (at any depth).</summary>
        private static bool InsideRunAsync(IOperation operation)
        {
            for (var p = operation.Parent; p is not null; p = p.Parent)
            {
                if (p is not IAnonymousFunctionOperation)
                {
                    continue;
                }

                var q = p.Parent;
                while (q is IDelegateCreationOperation or IConversionOperation)
                {
                    q = q.Parent;
                }

                if (q is IArgumentOperation { Parent: IInvocationOperation call }
                    && call.TargetMethod.Name == "RunAsync" && KeelSymbols.IsInKeelSdk(call.TargetMethod.ContainingType))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
