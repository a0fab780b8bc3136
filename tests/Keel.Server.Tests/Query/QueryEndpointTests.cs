using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Apache.Arrow;
using Keel.Server.Query;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Tests.Query;

/// <summary>A minimal Kestrel app serving <c>POST /query</c> on a free loopback port.</summary>
internal sealed class QueryServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private QueryServer(WebApplication app, HttpClient client)
    {
        _app = app;
        Client = client;
    }

    public HttpClient Client { get; }

    public static async Task<QueryServer> StartAsync(QueryEngine engine)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        QueryEndpoints.Map(app, engine);
        await app.StartAsync();
        return new QueryServer(app, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") });
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary><c>POST /query</c> over HTTP, on a real Kestrel.</summary>
public sealed class QueryEndpointTests : IAsyncLifetime
{
    private readonly QueryFixture _fixture = new();
    private QueryServer? _server;

    private HttpClient Client => _server!.Client;

    public async Task InitializeAsync() => _server = await QueryServer.StartAsync(_fixture.Engine);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _fixture.Dispose();
    }

    private async Task<HttpResponseMessage> Post(string path, string body, string? accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        return await Client.SendAsync(request);
    }

    private static string Body(string sql) => JsonSerializer.Serialize(new Dictionary<string, string> { ["query"] = sql });

    [Theory]
    [InlineData("/v4/query")]
    [InlineData("/v3/query")]
    [InlineData("/v2/query")]
    [InlineData("/query")]
    public async Task Accept_application_json_gets_rows_as_json_with_exactly_that_content_type(string path)
    {
        using var response = await Post(path, Body(CliQueries.StateGet("Counter", "bob")), "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["application/json"], response.Content.Headers.GetValues("Content-Type"));
        Assert.Equal("""{"rows":[{"key":"count","value":"35"}]}""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("*/*")]
    [InlineData(null)]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/vnd.apache.arrow.stream")]
    public async Task Any_other_accept_gets_an_arrow_stream_with_the_count_as_int64(string? accept)
    {
        using var response = await Post("/v4/query", Body(CliQueries.CountLowerBound("WHERE status != 'completed'")), accept);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["application/vnd.apache.arrow.stream"], response.Content.Headers.GetValues("Content-Type"));
        var (schema, batches) = QueryFixture.ReadArrow(await response.Content.ReadAsByteArrayAsync());
        Assert.IsType<Apache.Arrow.Types.Int64Type>(schema.GetFieldByIndex(0).DataType);
        Assert.Equal(8L, ((Int64Array)Assert.Single(batches).Column(0)).GetValue(0));
    }

    [Fact]
    public async Task An_empty_result_is_an_empty_row_list()
    {
        using var response = await Post("/v4/query", Body("SELECT id FROM sys_invocation WHERE id = 'none'"), "application/json");
        Assert.Equal("""{"rows":[]}""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("SELEC 1", "Parser Error")]
    [InlineData("SELECT * FROM sys_nothing", "Catalog Error")]
    [InlineData("SELECT nothing FROM sys_invocation", "Binder Error")]
    [InlineData("   ", "The query is empty.")]
    [InlineData("SELECT 1; SELECT 2", "Only one SQL statement")]
    [InlineData("SELECT 2147483647::INTEGER + 1", "Out of Range Error")]
    [InlineData("\u00e9\U0001F642", "Parser Error")]
    [InlineData("SELECT 1\u0000", "The query contains a NUL character")]
    [InlineData("\u0000", "The query contains a NUL character")]
    [InlineData("SELECT x\u00e9\U0001F642", "Binder Error")]
    public async Task Bad_SQL_is_a_400_with_a_json_message(string sql, string message)
    {
        foreach (var accept in (string?[])["application/json", null])
        {
            using var response = await Post("/v4/query", Body(sql), accept);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(["application/json"], response.Content.Headers.GetValues("Content-Type"));
            using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.StartsWith(message, error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("""{"sql":"SELECT 1"}""")]
    [InlineData("""{"query":42}""")]
    [InlineData("""["SELECT 1"]""")]
    public async Task A_body_without_a_query_string_is_a_400(string body)
    {
        using var response = await Post("/v4/query", body, "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("query", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_the_query_cannot_convert_is_a_400_with_a_json_message_never_a_partial_200()
    {
        // The conversion fails while rows are read: still an error status, and the caller's (found by Fuzz/QueryFuzzTests).
        using var response = await Post("/v4/query", Body("SELECT CAST(target AS INTEGER) FROM sys_invocation"), null);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(new MediaTypeHeaderValue("application/json"), response.Content.Headers.ContentType);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("Conversion Error", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_beyond_ascii_in_a_query_reads_as_it_is()
    {
        using var response = await Post("/v4/query", Body("SELECT '\u00e9\U0001F642' AS s -- caf\u00e9 \U0001F642"), "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("\u00e9\U0001F642", document.RootElement.GetProperty("rows")[0].GetProperty("s").GetString());
    }

    [Fact]
    public async Task A_large_result_streams_whole_in_both_formats()
    {
        using var json = await Post("/v4/query", Body("SELECT range AS n, 'row ' || range AS s FROM range(50000)"), "application/json");
        using (var document = JsonDocument.Parse(await json.Content.ReadAsStreamAsync()))
        {
            var rows = document.RootElement.GetProperty("rows");
            Assert.Equal(50000, rows.GetArrayLength());
            Assert.Equal("row 49999", rows[49999].GetProperty("s").GetString());
        }

        using var arrow = await Post("/v4/query", Body("SELECT range AS n, 'row ' || range AS s FROM range(50000)"), null);
        var (_, batches) = QueryFixture.ReadArrow(await arrow.Content.ReadAsByteArrayAsync());
        Assert.Equal(50000, batches.Sum(b => b.Length));
        Assert.Equal("row 49999", ((StringArray)batches[^1].Column(1)).GetString(batches[^1].Length - 1));
    }

    [Fact]
    public async Task A_failing_snapshot_is_a_500_with_a_json_message()
    {
        using var failing = new QueryEngine(() => throw new IOException("storage is gone"), () => [], () => []);
        await using var server = await QueryServer.StartAsync(failing);
        using var response = await server.Client.PostAsync("/v4/query", new StringContent(Body("SELECT * FROM sys_journal"), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("""{"message":"storage is gone"}""", await response.Content.ReadAsStringAsync());
    }
}
