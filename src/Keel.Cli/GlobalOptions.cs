using System.CommandLine;

namespace Keel.Cli;

/// <summary>Options every command takes (recursive: they may come before or after the command's name).</summary>
internal static class GlobalOptions
{
    public static readonly Option<string> AdminUrl = new("--admin-url")
    {
        Description = "Admin API of the server (env KEEL_ADMIN_URL)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("KEEL_ADMIN_URL") is { Length: > 0 } url ? url : "http://127.0.0.1:9070",
    };

    /// <summary>
    /// The admin API's bearer token. No DefaultValueFactory reading KEEL_ADMIN_TOKEN (as the URLs have): help prints
    /// defaults, and a token must never end up in a terminal's scrollback. <see cref="CliContext"/> reads the variable.
    /// </summary>
    public static readonly Option<string> AdminToken = new("--admin-token")
    {
        Description = "Bearer token for the admin API, when the server asks for one (env KEEL_ADMIN_TOKEN)",
        Recursive = true,
    };

    public static readonly Option<string> IngressUrl = new("--ingress-url")
    {
        Description = "Ingress of the server, for `keel invoke` (env KEEL_INGRESS_URL)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("KEEL_INGRESS_URL") is { Length: > 0 } url ? url : "http://127.0.0.1:8080",
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Machine-readable JSON on stdout (documented in docs/cli.md)",
        Recursive = true,
    };

    public static readonly Option<bool> Yes = new("--yes", "-y")
    {
        Description = "Do not ask for confirmation",
        Recursive = true,
    };

    public static void AddTo(Command root)
    {
        root.Options.Add(AdminUrl);
        root.Options.Add(AdminToken);
        root.Options.Add(IngressUrl);
        root.Options.Add(Json);
        root.Options.Add(Yes);
    }
}
