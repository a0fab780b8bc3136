using System.Reflection;
using System.Text;

namespace Keel.Server.Hosting;

/// <summary>What <c>keel-server --help</c> and <c>--version</c> print.</summary>
public sealed partial record ServerSettings
{
    /// <summary>
    /// The value placeholder and one-line description of each setting, by flag. Kept apart from
    /// <see cref="Names"/> so that table stays the one list of settings; the help is generated from
    /// it, and a test checks that every entry of it has a line here.
    /// </summary>
    private static readonly Dictionary<string, (string Value, string Description)> Descriptions = new(StringComparer.Ordinal)
    {
        ["--data-dir"] = ("<path>", "where the embedded RocksDB storage lives (default ./keel-data)"),
        ["--ingress-port"] = ("<port>", "the ingress: calls, sends, attach, awakeables (default 8080)"),
        ["--admin-port"] = ("<port>", "the admin API and the web console at /ui (default 9070)"),
        ["--bind-address"] = ("<ip>", "the address both ports listen on (default 127.0.0.1; 0.0.0.0 for every interface)"),
        ["--partitions"] = ("<n>", "how many partitions the keys are spread over, fixed at first start (default 2)"),
        ["--enable-protocol-v7"] = ("", "offer deployments service protocol V7 (a flag; true in env or file; default off: up to V6)"),
        ["--default-retention"] = ("<duration>", "how long completed invocations stay reachable when their service sets none (default 24h)"),
        ["--cleanup-interval"] = ("<duration>", "how often each partition drops completed invocations past their retention (default 1m)"),
        ["--default-journal-retention"] = ("<duration>", "how long a completed invocation's journal stays readable when its service sets none; 0: at once (default 24h)"),
        ["--request-identity-private-key-pem-file"] = ("<file>", "an ed25519 private key (PKCS#8 PEM) that signs every request to a deployment (default: unsigned)"),
        ["--storage"] = ("rocksdb|postgres", "where the runtime keeps its tables (default rocksdb; postgres when a connection string is set)"),
        ["--postgres"] = ("<connection string>", "the PostgreSQL connection string (Npgsql format), e.g. \"Host=db;Database=keel;Username=keel\""),
        ["--rocksdb-block-cache"] = ("<size>", "the embedded RocksDB's block cache, shared by all its tables, e.g. 256MiB (default 64MiB)"),
        ["--node-name"] = ("<name>", "this node's name in a cluster on PostgreSQL (default: advertised host and ingress port)"),
        ["--postgres-cache"] = ("<size>", "the owner-side read cache of the partitions a node serves, on PostgreSQL, e.g. 256MiB, 0 for none (default 128MiB)"),
        ["--lease-time"] = ("<duration>", "how long a node's partition leases last without renewal, on PostgreSQL (default 3s)"),
        ["--advertised-host"] = ("<host>", "the host other nodes reach this one at (default: the bind address, or the machine name on 0.0.0.0)"),
        ["--otlp-endpoint"] = ("<url>", "export spans and metrics with OTLP there (also OTEL_EXPORTER_OTLP_ENDPOINT; default: no export)"),
        ["--otlp-protocol"] = ("grpc|http/protobuf", "the OTLP transport (also OTEL_EXPORTER_OTLP_PROTOCOL; default grpc)"),
        ["--log-format"] = ("text|json", "console log format (default text)"),
        ["--ingress-bind"] = ("<ip>", "the ingress listener's own address (default: --bind-address)"),
        ["--admin-bind"] = ("<ip>", "the admin listener's own address (default: --bind-address); not a loopback address: needs an admin token"),
        ["--internal-bind"] = ("<ip>", "the cluster's node-to-node listener's address (PostgreSQL storage; default: --bind-address)"),
        ["--internal-port"] = ("<port>", "the cluster's node-to-node port (PostgreSQL storage; default 5122)"),
        ["--admin-token-file"] = ("<path>", "a file whose first line is the admin API's bearer token (or set KEEL_ADMIN_TOKEN; default: no token)"),
        ["--admin-allowed-hosts"] = ("<names>", "comma-separated host names the admin API answers to besides IP addresses and localhost (a proxy's name)"),
        ["--ingress-max-body"] = ("<size>", "the largest request body the ingress takes, e.g. 32MiB (default 32MiB; larger: 413)"),
        ["--advertised-ingress-url"] = ("<url>", "the ingress URL clients use, e.g. behind a proxy (reported by /version)"),
        ["--deadlock-detection"] = ("on|off", "find deadlocks as they form (GET /deadlocks, keel_deadlocks_detected_total); off: no wait is tracked (default on)"),
        ["--dev"] = ("", "the development profile: a failing invocation is retried 4 times within a few seconds, then paused (default off)"),
    };

    /// <summary>
    /// What to print instead of starting a server when the command line asks for help (<c>--help</c>,
    /// <c>-h</c>, <c>-?</c>) or the version (<c>--version</c>), anywhere in it; null otherwise. Looked
    /// at before the settings are parsed, so a mistake in them never hides the help.
    /// </summary>
    public static string? InformationalAnswer(IReadOnlyCollection<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args.Any(a => a is "--help" or "-h" or "-?") ? Usage()
            : args.Contains("--version", StringComparer.Ordinal) ? Version() + Environment.NewLine
            : null;
    }

    /// <summary>The settings' flags, each with its environment variable, config-file key and description.</summary>
    public static string Usage()
    {
        var text = new StringBuilder();
        text.AppendLine("Usage: keel-server [options]");
        text.AppendLine();
        text.AppendLine("Runs a Keel server (ingress, admin API, web console) until it is stopped (Ctrl-C, SIGTERM).");
        text.AppendLine("Each setting comes from, in increasing priority: its default, the JSON config file (key),");
        text.AppendLine("the environment (KEEL_*) and the command line (flag).");
        text.AppendLine();
        text.AppendLine("Options (flag; environment variable, config file key):");
        Option(text, "--config <file>", "KEEL_CONFIG", null, "a JSON file of settings, e.g. {\"dataDir\": \"/var/keel\", \"ingressPort\": 8080}");
        foreach (var (flag, env, json) in Names)
        {
            var (value, description) = Descriptions.GetValueOrDefault(flag, ("<value>", ""));
            Option(text, value.Length == 0 ? flag : $"{flag} {value}", env, json, description);
        }

        Option(text, "-h, --help", null, null, "print this text and exit");
        Option(text, "--version", null, null, "print the version and exit");
        text.AppendLine();
        text.AppendLine("Commands (on a stopped server's embedded data directory, named as above):");
        Option(text, "keel-server migrate [--data-dir DIR] [--dry-run]", null, null,
            "upgrade its storage format to this build's (the server also does at start); --dry-run: report, write nothing");
        Option(text, "keel-server backup [--data-dir DIR] --to DIR2", null, null,
            "copy it consistently (RocksDB checkpoint) into the new directory DIR2; start a server on DIR2 to use it");
        text.AppendLine();
        text.AppendLine("Durations: 30s, 5m, 1h, 1d 12h. More: docs/server.md.");
        return text.ToString();
    }

    /// <summary>The version of this build, as <c>keel --version</c> prints its own (the package version, then the commit).</summary>
    public static string Version() =>
        typeof(ServerSettings).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ServerSettings).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    private static void Option(StringBuilder text, string flag, string? env, string? json, string description)
    {
        var sources = (env, json) switch
        {
            (null, null) => "",
            (_, null) => $"  ({env})",
            _ => $"  ({env}, \"{json}\")",
        };
        text.Append("  ").Append(flag).AppendLine(sources);
        text.Append("      ").AppendLine(description);
    }
}
