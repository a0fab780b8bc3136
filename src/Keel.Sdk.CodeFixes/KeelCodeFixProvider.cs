using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Keel.Sdk.CodeFixes
{
    /// <summary>
    /// Mechanical fixes for Keel diagnostics: static/non-public handlers, the clock, Guid.NewGuid (when the SDK
    /// offers Random.NextGuid), unseeded Random, Task.Delay, ConfigureAwait(false) and direct HttpClient calls.
    /// A fix is offered only where its output compiles: fixes that insert <c>await</c> need an async function.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(KeelCodeFixProvider)), Shared]
    public sealed class KeelCodeFixProvider : CodeFixProvider
    {
        /// <summary>Same as DeterminismAnalyzer.ContextProperty: the handler's context parameter name.</summary>
        private const string ContextProperty = "Context";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } =
            ImmutableArray.Create("KEEL006", "KEEL007", "KEEL013", "KEEL014", "KEEL015", "KEEL018", "KEEL019", "KEEL020");

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                diagnostic.Properties.TryGetValue(ContextProperty, out var ctx);
                switch (diagnostic.Id)
                {
                    case "KEEL006" when node.FirstAncestorOrSelf<MethodDeclarationSyntax>() is { } method:
                        Register(context, diagnostic, "Remove 'static'", "KeelRemoveStatic", r => r.ReplaceNode(method, RemoveStatic(method)));
                        break;
                    case "KEEL007" when node.FirstAncestorOrSelf<MethodDeclarationSyntax>() is { } method:
                        Register(context, diagnostic, "Make the handler public", "KeelMakePublic", r => r.ReplaceNode(method, MakePublic(method)));
                        break;
                    case "KEEL013" when ctx is not null && node is MemberAccessExpressionSyntax clock && InAsyncFunction(clock):
                        Register(context, diagnostic, $"Use {ctx}.NowAsync()", "KeelNowAsync", r => r.ReplaceNode(clock, Now(clock, ctx)));
                        break;
                    case "KEEL014" when ctx is not null && node is InvocationExpressionSyntax guid && await HasNextGuidAsync(context.Document, guid, context.CancellationToken).ConfigureAwait(false):
                        Register(context, diagnostic, $"Use {ctx}.Random.NextGuid()", "KeelNextGuid",
                            r => r.ReplaceNode(guid, SyntaxFactory.ParseExpression($"{ctx}.Random.NextGuid()").WithTriviaFrom(guid)));
                        break;
                    case "KEEL015" when ctx is not null && node is ExpressionSyntax random:
                        Register(context, diagnostic, $"Use {ctx}.Random", "KeelContextRandom",
                            r => r.ReplaceNode(random, SyntaxFactory.ParseExpression($"{ctx}.Random").WithTriviaFrom(random)));
                        break;
                    case "KEEL018" when ctx is not null && node is InvocationExpressionSyntax { Parent: AwaitExpressionSyntax, ArgumentList.Arguments.Count: 1 } delay:
                        var timeSpan = await TimeSpanNameAsync(context.Document, delay.ArgumentList.Arguments[0].Expression, context.CancellationToken).ConfigureAwait(false);
                        Register(context, diagnostic, $"Use {ctx}.SleepAsync", "KeelSleepAsync", r => r.ReplaceNode(delay, Sleep(delay, ctx, timeSpan)));
                        break;
                    case "KEEL019" when node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { Expression: MemberAccessExpressionSyntax access } configure:
                        Register(context, diagnostic, "Remove ConfigureAwait(false)", "KeelRemoveConfigureAwait",
                            r => r.ReplaceNode(configure, access.Expression.WithTrailingTrivia(configure.GetTrailingTrivia())));
                        break;
                    case "KEEL020" when ctx is not null && node is InvocationExpressionSyntax { Parent: AwaitExpressionSyntax awaited } http:
                        var fix = await HttpFixAsync(context.Document, http, awaited, ctx, context.CancellationToken).ConfigureAwait(false);
                        if (fix is { } f)
                        {
                            Register(context, diagnostic, $"Wrap in {ctx}.RunAsync", "KeelWrapInRunAsync", r => r.ReplaceNode(f.Old, f.New));
                        }

                        break;
                }
            }
        }

        private static void Register(CodeFixContext context, Diagnostic diagnostic, string title, string key, System.Func<SyntaxNode, SyntaxNode> change) =>
            context.RegisterCodeFix(
                CodeAction.Create(title, async token =>
                {
                    var root = await context.Document.GetSyntaxRootAsync(token).ConfigureAwait(false);
                    return context.Document.WithSyntaxRoot(change(root!));
                }, key),
                diagnostic);

        private static MethodDeclarationSyntax RemoveStatic(MethodDeclarationSyntax method)
        {
            var token = method.Modifiers.First(m => m.IsKind(SyntaxKind.StaticKeyword));
            var index = method.Modifiers.IndexOf(token);
            var modifiers = method.Modifiers.RemoveAt(index);
            if (index == 0 && modifiers.Count > 0)
            {
                modifiers = modifiers.Replace(modifiers[0], modifiers[0].WithLeadingTrivia(token.LeadingTrivia));
            }
            else if (index == 0)
            {
                return method.WithModifiers(modifiers).WithReturnType(method.ReturnType.WithLeadingTrivia(token.LeadingTrivia));
            }

            return method.WithModifiers(modifiers);
        }

        private static MethodDeclarationSyntax MakePublic(MethodDeclarationSyntax method)
        {
            var access = method.Modifiers.Where(m => m.IsKind(SyntaxKind.PrivateKeyword) || m.IsKind(SyntaxKind.ProtectedKeyword) || m.IsKind(SyntaxKind.InternalKeyword)).ToList();
            if (access.Count > 0)
            {
                var first = method.Modifiers.IndexOf(access[0]);
                var modifiers = method.Modifiers;
                foreach (var token in access.Skip(1))
                {
                    modifiers = modifiers.Remove(modifiers.First(m => m.IsKind(token.Kind())));
                }

                return method.WithModifiers(modifiers.Replace(modifiers[first], SyntaxFactory.Token(SyntaxKind.PublicKeyword).WithTriviaFrom(access[0])));
            }

            // No modifier: "public" goes where the method starts (after its attributes).
            if (method.Modifiers.Count > 0)
            {
                var head = method.Modifiers[0];
                var withPublic = method.Modifiers.Replace(head, head.WithLeadingTrivia(SyntaxFactory.Space)).Insert(0, SyntaxFactory.Token(head.LeadingTrivia, SyntaxKind.PublicKeyword, SyntaxFactory.TriviaList()));
                return method.WithModifiers(withPublic);
            }

            var returnType = method.ReturnType;
            return method
                .WithModifiers(SyntaxFactory.TokenList(SyntaxFactory.Token(returnType.GetLeadingTrivia(), SyntaxKind.PublicKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space))))
                .WithReturnType(returnType.WithLeadingTrivia());
        }

        private static bool InAsyncFunction(SyntaxNode node)
        {
            foreach (var ancestor in node.Ancestors())
            {
                switch (ancestor)
                {
                    case AnonymousFunctionExpressionSyntax lambda:
                        return lambda.AsyncKeyword.IsKind(SyntaxKind.AsyncKeyword);
                    case LocalFunctionStatementSyntax local:
                        return local.Modifiers.Any(SyntaxKind.AsyncKeyword);
                    case MethodDeclarationSyntax method:
                        return method.Modifiers.Any(SyntaxKind.AsyncKeyword);
                    case LockStatementSyntax:
                    case QueryExpressionSyntax:
                        return false;
                }
            }

            return false;
        }

        /// <summary><c>DateTime.UtcNow</c> → <c>(await ctx.NowAsync()).UtcDateTime</c>, and so on.</summary>
        private static ExpressionSyntax Now(MemberAccessExpressionSyntax clock, string ctx)
        {
            var dateTime = clock.Expression.ToString().EndsWith("DateTime", System.StringComparison.Ordinal);
            var now = $"await {ctx}.NowAsync()";
            var text = (dateTime, clock.Name.Identifier.Text) switch
            {
                (true, "UtcNow") => $"({now}).UtcDateTime",
                (true, "Now") => $"({now}).LocalDateTime",
                (true, _) => $"({now}).LocalDateTime.Date",
                (false, "UtcNow") => now,
                (false, _) => $"({now}).ToLocalTime()",
            };
            var expression = SyntaxFactory.ParseExpression(text);
            return Parenthesize(expression, clock).WithTriviaFrom(clock);
        }

        /// <summary>An <c>await …</c> that replaces the operand of a member access, an invocation or an operator needs parentheses.</summary>
        private static ExpressionSyntax Parenthesize(ExpressionSyntax replacement, ExpressionSyntax original) =>
            replacement is AwaitExpressionSyntax && original.Parent is MemberAccessExpressionSyntax or ConditionalAccessExpressionSyntax or ElementAccessExpressionSyntax or InvocationExpressionSyntax or PostfixUnaryExpressionSyntax
                ? SyntaxFactory.ParenthesizedExpression(replacement)
                : replacement;

        /// <summary><paramref name="timeSpan"/> is null when the argument already is a TimeSpan, else how to spell System.TimeSpan here.</summary>
        private static ExpressionSyntax Sleep(InvocationExpressionSyntax delay, string ctx, string? timeSpan)
        {
            var argument = delay.ArgumentList.Arguments[0].Expression.WithoutTrivia();
            var duration = timeSpan is null ? argument : SyntaxFactory.ParseExpression($"{timeSpan}.FromMilliseconds({argument})");
            return SyntaxFactory.InvocationExpression(
                    SyntaxFactory.ParseExpression($"{ctx}.SleepAsync"),
                    SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(duration))))
                .WithTriviaFrom(delay);
        }

        /// <summary>Null when the expression is a TimeSpan; otherwise "TimeSpan" if that name means System.TimeSpan here, else "System.TimeSpan".</summary>
        private static async Task<string?> TimeSpanNameAsync(Document document, ExpressionSyntax expression, CancellationToken token)
        {
            var model = await document.GetSemanticModelAsync(token).ConfigureAwait(false);
            if (model is null || model.GetTypeInfo(expression, token).Type?.ToDisplayString() == "System.TimeSpan")
            {
                return null;
            }

            var visible = model.LookupNamespacesAndTypes(expression.SpanStart, name: "TimeSpan").FirstOrDefault();
            return visible?.ToDisplayString() == "System.TimeSpan" ? "TimeSpan" : "global::System.TimeSpan";
        }

        /// <summary>The SDK may offer a deterministic <c>Random.NextGuid()</c> (an extension in Keel.Sdk); fix only when it exists.</summary>
        private static async Task<bool> HasNextGuidAsync(Document document, SyntaxNode at, CancellationToken token)
        {
            var model = await document.GetSemanticModelAsync(token).ConfigureAwait(false);
            var random = model?.Compilation.GetTypeByMetadataName("System.Random");
            return model is not null && random is not null
                && model.LookupSymbols(at.SpanStart, random, "NextGuid", includeReducedExtensionMethods: true)
                    .OfType<IMethodSymbol>().Any(m => m.Parameters.Length == 0 && m.ReturnType.ToDisplayString() == "System.Guid");
        }

        /// <summary>
        /// <c>await http.X(…);</c> as a statement → <c>await ctx.RunAsync("X", async () => { await http.X(…); });</c> (nothing
        /// journaled but completion); <c>await http.GetStringAsync(…)</c> used as a value → <c>await ctx.RunAsync("GetStringAsync", () => http.GetStringAsync(…))</c>.
        /// A used HttpResponseMessage, Stream or HttpContent cannot be journaled: no fix, the diagnostic stays.
        /// </summary>
        private static async Task<(SyntaxNode Old, SyntaxNode New)?> HttpFixAsync(Document document, InvocationExpressionSyntax http, AwaitExpressionSyntax awaited, string ctx, CancellationToken token)
        {
            var name = http.Expression switch
            {
                MemberAccessExpressionSyntax m => m.Name.Identifier.Text,
                IdentifierNameSyntax i => i.Identifier.Text,
                _ => "http",
            };
            var call = http.WithoutTrivia();
            if (awaited.Parent is ExpressionStatementSyntax)
            {
                var wrapped = SyntaxFactory.ParseExpression($"await {ctx}.RunAsync(\"{name}\", async () => {{ await {call}; }})");
                return (awaited, wrapped.WithTriviaFrom(awaited));
            }

            var model = await document.GetSemanticModelAsync(token).ConfigureAwait(false);
            var result = (model?.GetTypeInfo(http, token).Type as INamedTypeSymbol)?.TypeArguments.FirstOrDefault();
            if (result is null || result.ContainingNamespace?.ToDisplayString() is "System.Net.Http" or "System.IO")
            {
                return null;
            }

            var run = SyntaxFactory.ParseExpression($"{ctx}.RunAsync(\"{name}\", () => {call})");
            return (http, run.WithTriviaFrom(http));
        }
    }
}
