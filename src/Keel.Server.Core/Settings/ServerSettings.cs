using System.Globalization;
using System.Text.Json;

namespace Keel.Server.Hosting;

/// <summary>
/// Server settings from, in increasing priority: defaults, a JSON config file (<c>--config</c> or
/// <c>KEEL_CONFIG</c>), environment variables (<c>KEEL_*</c>) and command-line flags.
/// </summary>
public sealed partial record ServerSettings
{
    public string DataDirectory { get; init; } = "./keel-data";
    public int IngressPort { get; init; } = 8080;
    public int AdminPort { get; init; } = 9070;
    public string BindAddress { get; init; } = "127.0.0.1";
    public int Partitions { get; init; } = 2;
    public bool EnableProtocolV7 { get; init; }

    /// <summary>How long completed invocations stay reachable when their service sets no retention.</summary>
    public TimeSpan DefaultRetention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long a completed invocation's journal stays readable when its service sets no journal retention (0: deleted at once).</summary>
    public TimeSpan DefaultJournalRetention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How often each partition looks for completed invocations past their retention.</summary>
    public TimeSpan CleanupInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>An ed25519 private key (PKCS#8 PEM) that signs every request to a deployment (request identity v1); none: unsigned.</summary>
    public string? RequestIdentityPrivateKeyPemFile { get; init; }

    /// <summary>Where the runtime keeps its tables: the embedded RocksDB in the data directory (default) or a PostgreSQL database.</summary>
    public StorageKind Storage { get; init; } = StorageKind.RocksDb;

    /// <summary>The capacity of the embedded RocksDB's block cache, shared by all its tables (data, index and filter blocks); unused on PostgreSQL.</summary>
    public long RocksDbBlockCacheBytes { get; init; } = 64L << 20;

    /// <summary>The PostgreSQL connection string (Npgsql format) when <see cref="Storage"/> is PostgreSQL.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>This node's name in a cluster (PostgreSQL storage); default: the advertised host and ingress port.</summary>
    public string? NodeName { get; init; }

    /// <summary>How long a node's partition leases last without renewal (PostgreSQL storage): a dead node's partitions move within it.</summary>
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>The host other nodes reach this one at (forwarded requests, hand-overs); default: the bind address, or the machine name when binding all interfaces.</summary>
    public string? AdvertisedHost { get; init; }

    /// <summary>Where spans and metrics are exported with OTLP (also taken from OTEL_EXPORTER_OTLP_ENDPOINT); none: no OTLP export.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>The OTLP transport: <c>grpc</c> (the default, port 4317) or <c>http/protobuf</c> (port 4318; <c>/v1/traces</c> and <c>/v1/metrics</c> are appended to the endpoint).</summary>
    public string OtlpProtocol { get; init; } = "grpc";

    /// <summary>Console log format: <c>text</c> (the default) or <c>json</c> (one JSON object a line, with scopes such as the invocation id).</summary>
    public string LogFormat { get; init; } = "text";

    /// <summary>
    /// The development profile: a short default retry policy (4 attempts within a few seconds, then the
    /// invocation pauses) so a handler's bug shows at once instead of after an hour of retries.
    /// </summary>
    public bool Development { get; init; }

    internal static readonly (string Flag, string Env, string Json)[] Names =
    [
        ("--data-dir", "KEEL_DATA_DIR", "dataDir"),
        ("--ingress-port", "KEEL_INGRESS_PORT", "ingressPort"),
        ("--admin-port", "KEEL_ADMIN_PORT", "adminPort"),
        ("--bind-address", "KEEL_BIND_ADDRESS", "bindAddress"),
        ("--partitions", "KEEL_PARTITIONS", "partitions"),
        ("--enable-protocol-v7", "KEEL_ENABLE_PROTOCOL_V7", "enableProtocolV7"),
        ("--default-retention", "KEEL_DEFAULT_RETENTION", "defaultRetention"),
        ("--cleanup-interval", "KEEL_CLEANUP_INTERVAL", "cleanupInterval"),
        ("--default-journal-retention", "KEEL_DEFAULT_JOURNAL_RETENTION", "defaultJournalRetention"),
        ("--request-identity-private-key-pem-file", "KEEL_REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE", "requestIdentityPrivateKeyPemFile"),
        ("--storage", "KEEL_STORAGE", "storage"),
        ("--postgres", "KEEL_POSTGRES", "postgres"),
        ("--rocksdb-block-cache", "KEEL_ROCKSDB_BLOCK_CACHE", "rocksdbBlockCache"),
        ("--node-name", "KEEL_NODE_NAME", "nodeName"),
        ("--lease-time", "KEEL_LEASE_TIME", "leaseTime"),
        ("--advertised-host", "KEEL_ADVERTISED_HOST", "advertisedHost"),
        ("--otlp-endpoint", "KEEL_OTLP_ENDPOINT", "otlpEndpoint"),
        ("--otlp-protocol", "KEEL_OTLP_PROTOCOL", "otlpProtocol"),
        ("--log-format", "KEEL_LOG_FORMAT", "logFormat"),
        ("--dev", "KEEL_DEV", "dev"),
        .. ListenerNames,
    ];

    /// <exception cref="ArgumentException">An unknown flag or a malformed value, with a message for the user.</exception>
    public static ServerSettings Load(string[] args, Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(env);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var configPath = env("KEEL_CONFIG");
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--config")
            {
                configPath = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--config needs a file path.");
                continue;
            }

            var name = Names.FirstOrDefault(n => n.Flag == arg);
            if (name.Flag is null)
            {
                throw new ArgumentException($"Unknown option '{arg}' (keel-server --help lists the options).");
            }

            flags[name.Json] = name.Flag is "--enable-protocol-v7" or "--dev" ? "true" : i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
        }

        if (configPath is not null)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(configPath));
            foreach (var property in document.RootElement.EnumerateObject())
            {
                values[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
        }

        foreach (var (_, envName, json) in Names)
        {
            if (env(envName) is { Length: > 0 } value)
            {
                values[json] = value;
            }
        }

        foreach (var (key, value) in flags)
        {
            values[key] = value;
        }

        var defaults = new ServerSettings();
        var (storage, postgres) = StorageSetting(values);
        return new ServerSettings
        {
            Storage = storage,
            PostgresConnectionString = postgres,
            RocksDbBlockCacheBytes = values.TryGetValue("rocksdbBlockCache", out var cache) && !string.IsNullOrWhiteSpace(cache) ? ByteSize(cache.Trim(), "rocksdbBlockCache", "64MiB or 1GiB") : defaults.RocksDbBlockCacheBytes,
            NodeName = values.TryGetValue("nodeName", out var nodeName) && !string.IsNullOrWhiteSpace(nodeName) ? nodeName.Trim() : null,
            LeaseTime = Duration(values, "leaseTime", defaults.LeaseTime),
            AdvertisedHost = values.TryGetValue("advertisedHost", out var advertised) && !string.IsNullOrWhiteSpace(advertised) ? advertised.Trim() : null,
            DataDirectory = values.GetValueOrDefault("dataDir", defaults.DataDirectory),
            IngressPort = Int(values, "ingressPort", defaults.IngressPort),
            AdminPort = Int(values, "adminPort", defaults.AdminPort),
            BindAddress = values.GetValueOrDefault("bindAddress", defaults.BindAddress),
            Partitions = Int(values, "partitions", defaults.Partitions),
            EnableProtocolV7 = values.TryGetValue("enableProtocolV7", out var v7) && bool.TryParse(v7, out var on) && on,
            Development = values.TryGetValue("dev", out var dev) && (dev.Trim() == "1" || (bool.TryParse(dev, out var devOn) && devOn)),
            DefaultRetention = Duration(values, "defaultRetention", defaults.DefaultRetention),
            CleanupInterval = Duration(values, "cleanupInterval", defaults.CleanupInterval),
            DefaultJournalRetention = Duration(values, "defaultJournalRetention", defaults.DefaultJournalRetention, allowZero: true),
            RequestIdentityPrivateKeyPemFile = values.TryGetValue("requestIdentityPrivateKeyPemFile", out var pem) && !string.IsNullOrWhiteSpace(pem) ? pem : null,
            OtlpEndpoint = Endpoint(values.GetValueOrDefault("otlpEndpoint") ?? env("OTEL_EXPORTER_OTLP_ENDPOINT")),
            OtlpProtocol = (values.GetValueOrDefault("otlpProtocol") ?? env("OTEL_EXPORTER_OTLP_PROTOCOL") ?? defaults.OtlpProtocol) switch
            {
                "grpc" => "grpc",
                "http/protobuf" => "http/protobuf",
                var other => throw new ArgumentException($"'otlpProtocol' must be grpc or http/protobuf, got '{other}'."),
            },
            LogFormat = values.GetValueOrDefault("logFormat", defaults.LogFormat) switch
            {
                "text" => "text",
                "json" => "json",
                var other => throw new ArgumentException($"'logFormat' must be text or json, got '{other}'."),
            },
        }.WithListenerSettings(values, env).WithTestSeams(env);
    }

    /// <summary>A connection string alone means PostgreSQL; naming PostgreSQL without one, or RocksDB with one, is a mistake worth stopping for.</summary>
    private static (StorageKind Kind, string? Postgres) StorageSetting(Dictionary<string, string> values)
    {
        var postgres = values.TryGetValue("postgres", out var text) && !string.IsNullOrWhiteSpace(text) ? text : null;
        var kind = values.GetValueOrDefault("storage")?.Trim().ToUpperInvariant() switch
        {
            null or "" => postgres is null ? StorageKind.RocksDb : StorageKind.Postgres,
            "ROCKSDB" => StorageKind.RocksDb,
            "POSTGRES" or "POSTGRESQL" => StorageKind.Postgres,
            _ => throw new ArgumentException($"'storage' must be rocksdb or postgres, got '{values["storage"]}'."),
        };
        return kind switch
        {
            StorageKind.Postgres when postgres is null => throw new ArgumentException("'storage' is postgres but no connection string is set: give --postgres \"Host=…;Database=…;Username=…\" (or KEEL_POSTGRES)."),
            StorageKind.RocksDb when postgres is not null => throw new ArgumentException("a PostgreSQL connection string is set but 'storage' is rocksdb: drop one of them."),
            _ => (kind, postgres),
        };
    }

    /// <summary>The runtime's retry defaults of these settings: the development profile's short policy, or Restate's.</summary>
    public RuntimeOptions ApplyRetryDefaults(RuntimeOptions runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        return Development ? runtime.WithDevelopmentRetries() : runtime;
    }

    private static Uri? Endpoint(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null
        : Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri
        : throw new ArgumentException($"'otlpEndpoint' must be an http(s) URL such as http://localhost:4317, got '{text}'.");

    private static TimeSpan Duration(Dictionary<string, string> values, string key, TimeSpan fallback, bool allowZero = false) =>
        !values.TryGetValue(key, out var text) ? fallback
        : allowZero && text.Trim() == "0" ? TimeSpan.Zero
        : Ingress.Durations.TryParse(text, out var duration) && duration > TimeSpan.Zero ? duration
        : throw new ArgumentException($"'{key}' must be a {(allowZero ? "" : "positive ")}duration such as {(allowZero ? "0, " : "")}30s, 5m, 1h or 1d 12h, got '{text}'.");

    private static int Int(Dictionary<string, string> values, string key, int fallback) =>
        !values.TryGetValue(key, out var text) ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n
        : throw new ArgumentException($"'{key}' must be a non-negative integer, got '{text}'.");
}

/// <summary>The storage backends of the server.</summary>
public enum StorageKind
{
    /// <summary>The embedded default: RocksDB in the data directory, fsync before every acknowledgement.</summary>
    RocksDb,

    /// <summary>A PostgreSQL database: one transaction per partition batch, synchronous commit.</summary>
    Postgres,
}
