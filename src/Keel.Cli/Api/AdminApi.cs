using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Keel.Cli.Api;

/// <summary>An HTTP answer: status code and body parsed as JSON (null when empty or not JSON).</summary>
internal sealed record ApiResponse(int Status, JsonElement? Body, string Text)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>The server's own words: the JSON <c>message</c> if there is one, else the body's text, else the status.</summary>
    public string Message =>
        Body is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString()!
            : Text.Trim().Length > 0 ? Text.Trim().ReplaceLineEndings(" ") : $"HTTP {Status}";
}

/// <summary>
/// The admin API of a Keel or Restate 1.7 server (REST and <c>POST /query</c>). Every transport failure becomes a
/// <see cref="CliException"/> naming the URL, and every non-2xx answer one carrying the server's message.
/// With a token, every request carries it as <c>Authorization: Bearer</c> (Keel's admin guard, or a proxy in front
/// of restate-server, asks for it); a 401 is never one action's result but the whole run's: it throws.
/// </summary>
internal sealed class AdminApi : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _hasToken;

    public AdminApi(Uri baseUrl, string? token = null)
    {
        BaseUrl = baseUrl;
        _http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
        _hasToken = token is not null;
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri BaseUrl { get; }

    /// <summary>Sends a request and returns the answer whatever its status (bulk actions report each one).</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, JsonNode? body = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        var response = await Transport.SendAsync(_http, request, "admin API", ct);
        if (response.Status == 401)
        {
            throw new CliException(_hasToken
                ? $"the admin API at {BaseUrl} refused the token: check --admin-token or KEEL_ADMIN_TOKEN"
                : $"the admin API at {BaseUrl} needs a token: --admin-token or KEEL_ADMIN_TOKEN");
        }

        return response;
    }

    /// <summary>Sends a request and returns the JSON body of a 2xx answer; anything else throws with the server's message.</summary>
    public async Task<JsonElement> RequireAsync(HttpMethod method, string path, JsonNode? body = null, CancellationToken ct = default)
    {
        var response = await SendAsync(method, path, body, ct);
        if (!response.IsSuccess)
        {
            throw new CliException(response.Message);
        }

        return response.Body ?? default;
    }

    public Task<JsonElement> GetAsync(string path, CancellationToken ct = default) => RequireAsync(HttpMethod.Get, path, null, ct);

    /// <summary><c>POST /query</c> with <c>Accept: application/json</c>: the rows (null columns are left out by the server).</summary>
    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string sql, CancellationToken ct = default)
    {
        var body = await RequireAsync(HttpMethod.Post, "/query", new JsonObject { ["query"] = sql }, ct);
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("rows", out var rows) || rows.ValueKind != JsonValueKind.Array)
        {
            throw new CliException($"the admin API at {BaseUrl} answered the query with something other than {{\"rows\": [...]}}");
        }

        return [.. rows.EnumerateArray()];
    }

    public void Dispose() => _http.Dispose();
}
