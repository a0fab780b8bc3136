using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Keel.Server.E2E.Tests.Proxy;

/// <summary>One nginx server block: listens on 127.0.0.1:<paramref name="Port"/> and passes everything to <paramref name="Upstream"/> with <c>Host: <paramref name="Host"/></c>.</summary>
public sealed record NginxSite(int Port, string Host, Uri Upstream)
{
    public Uri Url => new($"http://127.0.0.1:{Port}/");
}

/// <summary>
/// Debian's nginx as a reverse proxy, run as a child process on a config written into a temp
/// directory (<c>nginx -p dir -c nginx.conf -g 'daemon off;'</c>), killed at dispose. scripts/test
/// installs nginx when it is missing, as it does Chromium.
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private NginxProxy(Process process, string directory)
    {
        _process = process;
        _directory = directory;
    }

    public string ErrorLog => Path.Combine(_directory, "error.log");

    public static async Task<NginxProxy> StartAsync(params NginxSite[] sites)
    {
        var binary = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx"
            : throw new FileNotFoundException("nginx is not installed (/usr/sbin/nginx): apt-get install nginx, as scripts/test does.");
        var directory = Directory.CreateTempSubdirectory("keel-nginx-").FullName;
        var config = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(config, Config(directory, sites));

        // -e: the error log from the first line on (before the config is read, Debian's default is /var/log/nginx).
        var start = new ProcessStartInfo(binary, ["-p", directory, "-e", Path.Combine(directory, "error.log"), "-c", config, "-g", "daemon off;"]);
        var process = ProcessLogs.Start(start, Path.Combine(directory, "stdout.log"));
        var proxy = new NginxProxy(process, directory);
        try
        {
            foreach (var site in sites)
            {
                await Eventually.UntilAsync(async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {ProcessLogs.Tail(proxy.ErrorLog)}");
                    }

                    using var client = new TcpClient();
                    try
                    {
                        await client.ConnectAsync("127.0.0.1", site.Port);
                        return true;
                    }
                    catch (SocketException)
                    {
                        return false;
                    }
                }, TimeSpan.FromSeconds(15), $"nginx to listen on {site.Port}");
            }
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }

        return proxy;
    }

    private static string Config(string directory, IEnumerable<NginxSite> sites)
    {
        var text = new StringBuilder();

        // As root the workers would switch to nobody, who cannot write the 0700 temp directory.
        if (Environment.UserName == "root")
        {
            text.AppendLine("user root root;");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $$"""
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 64; }
            http {
              access_log {{directory}}/access.log;
              client_body_temp_path {{directory}}/client_body;
              proxy_temp_path {{directory}}/proxy;
              fastcgi_temp_path {{directory}}/fastcgi;
              uwsgi_temp_path {{directory}}/uwsgi;
              scgi_temp_path {{directory}}/scgi;
            """);
        foreach (var site in sites)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $$"""
                  server {
                    listen 127.0.0.1:{{site.Port}};
                    location / {
                      proxy_pass {{site.Upstream.GetLeftPart(UriPartial.Authority)}};
                      proxy_http_version 1.1;
                      proxy_set_header Host {{site.Host}};
                      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                      proxy_set_header X-Forwarded-Proto $scheme;
                      proxy_set_header X-Forwarded-Host $http_host;
                    }
                  }
                """);
        }

        text.AppendLine("}");
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM to the master: it stops its workers and reaps them. A SIGKILL of the tree would leave
            // the workers to whatever reaps orphans (on some machines nothing does).
            using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
            {
                await term.WaitForExitAsync();
            }

            using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(stopped.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }
}
