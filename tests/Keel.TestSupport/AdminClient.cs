using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Keel.TestSupport;

/// <summary>The admin API (deployments, invocations) of a Restate-compatible server; with a token, every request carries it.</summary>
public sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;

    public AdminClient(Uri adminUrl, string? token = null)
    {
        _http = new HttpClient { BaseAddress = adminUrl, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>Registers a deployment, retrying while a fresh server is still starting its partitions.</summary>
    public async Task<JsonDocument> RegisterDeploymentAsync(Uri endpoint, bool useHttp11 = false)
    {
        HttpResponseMessage? last = null;
        string body = string.Empty;
        await Eventually.UntilAsync(async () =>
        {
            last = await _http.PostAsJsonAsync("/deployments", new { uri = endpoint.ToString(), use_http_11 = useHttp11, force = true });
            body = await last.Content.ReadAsStringAsync();
            return last.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(60), $"deployment {endpoint} to register (last answer {(int?)last?.StatusCode}: {body})");
        return JsonDocument.Parse(body);
    }

    public async Task<HttpStatusCode> PatchInvocationAsync(string invocationId, string action)
    {
        using var response = await _http.PatchAsync(new Uri($"/invocations/{invocationId}/{action}", UriKind.Relative), null);
        return response.StatusCode;
    }

    /// <summary>A GET of the admin API: the status and the JSON body (null when the body is empty or not JSON).</summary>
    public async Task<(HttpStatusCode Status, JsonElement? Body)> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        try
        {
            return (response.StatusCode, body.Length == 0 ? null : JsonDocument.Parse(body).RootElement.Clone());
        }
        catch (JsonException)
        {
            return (response.StatusCode, null);
        }
    }

    /// <summary>Runs SQL on <c>POST /query</c> (both servers serve it) and returns the rows of its JSON answer.</summary>
    public async Task<JsonElement[]> QueryAsync(string sql)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/query") { Content = JsonContent.Create(new { query = sql }) };
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"query answered {(int)response.StatusCode}: {body}");
        }

        return [.. JsonDocument.Parse(body).RootElement.GetProperty("rows").EnumerateArray().Select(r => r.Clone())];
    }

    public void Dispose() => _http.Dispose();
}
