using System.Diagnostics;

namespace Keel.TestSupport;

/// <summary>What the Keel server and restate-server fixtures do alike: wait for health, kill.</summary>
internal static class ServerProcesses
{
    public static async Task WaitUntilHealthyAsync(Process process, string logFile, Uri adminUrl, Uri ingressUrl, string name)
    {
        using var http = new HttpClient();
        await Eventually.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with {process.ExitCode}: {ProcessLogs.Tail(logFile)}");
            }

            return (await http.GetAsync(new Uri(adminUrl, "/health"))).IsSuccessStatusCode
                && (await http.GetAsync(new Uri(ingressUrl, "/restate/health"))).IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(60), $"{name} to become healthy");
    }

    /// <summary>SIGKILL, like a crash.</summary>
    public static async Task KillAsync(Process? process)
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
