using System.CommandLine;
using Keel.Cli.Api;
using Keel.Cli.Output;
using Spectre.Console;

namespace Keel.Cli;

/// <summary>What one run of a command works with: the global options, the servers' APIs, the console.</summary>
internal sealed class CliContext : IDisposable
{
    private readonly Lazy<AdminApi> _admin;
    private readonly Lazy<IngressApi> _ingress;

    public CliContext(ParseResult parse, CancellationToken cancellation)
    {
        Parse = parse;
        Cancellation = cancellation;
        Json = parse.GetValue(GlobalOptions.Json);
        Yes = parse.GetValue(GlobalOptions.Yes);
        var adminUrl = ParseUrl(parse.GetValue(GlobalOptions.AdminUrl)!, "--admin-url");
        var ingressUrl = ParseUrl(parse.GetValue(GlobalOptions.IngressUrl)!, "--ingress-url");
        var adminToken = AdminTokenFrom(parse.GetValue(GlobalOptions.AdminToken), Environment.GetEnvironmentVariable("KEEL_ADMIN_TOKEN"));
        _admin = new Lazy<AdminApi>(() => new AdminApi(adminUrl, adminToken));
        _ingress = new Lazy<IngressApi>(() => new IngressApi(ingressUrl));

        // Prompts and progress bars only when a person is there: both ends of the terminal.
        Interactive = !Console.IsInputRedirected && !Console.IsOutputRedirected;
        Out = Terminal.Create(Interactive);
    }

    public ParseResult Parse { get; }

    public CancellationToken Cancellation { get; }

    public bool Json { get; }

    public bool Yes { get; }

    public bool Interactive { get; }

    public IAnsiConsole Out { get; }

    public AdminApi Admin => _admin.Value;

    public IngressApi Ingress => _ingress.Value;

    public T? Get<T>(Option<T> option) => Parse.GetValue(option);

    public T? Get<T>(Argument<T> argument) => Parse.GetValue(argument);

    /// <summary>
    /// Asks before a change unless --yes. Without a terminal there is nobody to ask: that is a usage error, so a script
    /// that forgot --yes fails loudly rather than hanging or silently doing nothing.
    /// </summary>
    /// <param name="action">What is about to happen, e.g. "cancel inv_1…": the question and the error both say it.</param>
    public void Confirm(string action)
    {
        if (Yes)
        {
            return;
        }

        if (!Interactive)
        {
            throw CliException.Usage($"to {action}, pass --yes: there is no terminal to confirm on");
        }

        if (!Out.Confirm(Markup.Escape(char.ToUpperInvariant(action[0]) + action[1..] + "?"), defaultValue: false))
        {
            throw new CliException("cancelled: nothing was changed");
        }
    }

    /// <summary>
    /// The option wins over the variable, even blank (<c>--admin-token ""</c> sends none whatever the shell holds);
    /// a blank value is no token, so an empty <c>KEEL_ADMIN_TOKEN=</c> left in a shell sends no empty header.
    /// </summary>
    private static string? AdminTokenFrom(string? option, string? environment)
    {
        var token = option ?? environment;
        return string.IsNullOrWhiteSpace(token) ? null : token.Trim();
    }

    private static Uri ParseUrl(string text, string option) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw CliException.Usage($"{option}: '{text}' is not an http(s) URL");

    public void Dispose()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }

        if (_ingress.IsValueCreated)
        {
            _ingress.Value.Dispose();
        }
    }
}
