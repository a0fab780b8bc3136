using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Keel.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Tests.Hosting;

/// <summary>A host without the optional roles (what Keel.Testing runs) says what is missing instead of answering 404 or starting wrongly.</summary>
public sealed class OptionalRoleTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "keel-roles-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Without_the_query_role_POST_query_answers_501()
    {
        await using var server = await KeelServerHost.StartAsync(Settings(), Quiet());
        using var client = new HttpClient { BaseAddress = server.AdminUrl };

        using var response = await client.PostAsJsonAsync("/query", new { query = "SELECT 1" });

        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        Assert.Contains("SQL introspection is not part of this server", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_cluster_role_postgres_storage_refuses_to_start()
    {
        var settings = Settings() with { Storage = StorageKind.Postgres, PostgresConnectionString = "Host=127.0.0.1;Database=keel" };

        var e = await Assert.ThrowsAsync<KeelServerStartException>(() => KeelServerHost.StartAsync(settings, Quiet()));

        Assert.Contains("'postgres' is not part of this server", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_full_server_answers_SQL()
    {
        await using var server = await FullServer.StartAsync(Settings(), Quiet());
        using var client = new HttpClient { BaseAddress = server.AdminUrl };

        using var response = await client.PostAsJsonAsync("/query", new { query = "SELECT 1 AS one" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private ServerSettings Settings() => new() { DataDirectory = _directory, IngressPort = FreePort(), AdminPort = FreePort() };

    private static KeelServerHostOptions Quiet() => new() { ConfigureLogging = logging => logging.ClearProviders() };

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
