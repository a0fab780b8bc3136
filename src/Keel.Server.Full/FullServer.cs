using Keel.Server.Cluster;
using Keel.Server.Query;

namespace Keel.Server.Hosting;

/// <summary>
/// The complete server: <see cref="KeelServerHost"/> with every optional role — SQL introspection, the
/// cluster on PostgreSQL and telemetry export. What the <c>keel-server</c> executable runs; an
/// in-process server that needs none of them (Keel.Testing) uses <see cref="KeelServerHost"/> alone.
/// </summary>
public static class FullServer
{
    /// <summary>Every optional role, each created anew per server start.</summary>
    public static IReadOnlyList<Func<ServerRole>> Roles { get; } =
    [
        () => new QueryRole(),
        () => new ClusterRole(),
        () => new TelemetryExportRole(),
    ];

    /// <summary>Runs the server as the <c>keel-server</c> executable does; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args) => KeelServerHost.RunAsync(args, WithRoles(null));

    /// <summary>Starts a complete server in this process; the options' own roles come after the full server's.</summary>
    /// <exception cref="KeelServerStartException">A setting, the identity key or the storage cannot be used.</exception>
    public static Task<KeelServerHost> StartAsync(ServerSettings settings, KeelServerHostOptions? options = null) =>
        KeelServerHost.StartAsync(settings, WithRoles(options));

    /// <summary>The embedding process's options with the full server's roles first; every other option as given.</summary>
    private static KeelServerHostOptions WithRoles(KeelServerHostOptions? options) => new()
    {
        TimeProvider = options?.TimeProvider ?? TimeProvider.System,
        FailOnAttemptError = options?.FailOnAttemptError ?? false,
        ConfigureLogging = options?.ConfigureLogging,
        Roles = [.. Roles, .. options?.Roles ?? []],
    };
}
