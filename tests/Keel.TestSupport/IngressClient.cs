using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Keel.TestSupport;

/// <summary>An ingress answer: status, body and the invocation id header.</summary>
public sealed record IngressResponse(HttpStatusCode Status, byte[] Bytes, string? InvocationId)
{
    public string Body => Encoding.UTF8.GetString(Bytes);

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public bool IsSuccess => (int)Status is >= 200 and < 300;
}

/// <summary>The ingress API of a Restate-compatible server.</summary>
public sealed class IngressClient(Uri ingressUrl) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = ingressUrl, Timeout = TimeSpan.FromSeconds(60) };

    public Task<IngressResponse> CallAsync(string path, object? body = null, string? idempotencyKey = null, IDictionary<string, string>? headers = null) =>
        PostAsync(path, body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), JsonOptions), "application/json", idempotencyKey, headers);

    public async Task<IngressResponse> PostAsync(string path, byte[]? body, string contentType, string? idempotencyKey = null, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("idempotency-key", idempotencyKey);
        }

        foreach (var (key, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Add(key, value);
        }

        return await SendAsync(request);
    }

    /// <summary>A one-way send: returns the 202 answer (id in <see cref="IngressResponse.InvocationId"/>).</summary>
    public Task<IngressResponse> SendAsync(string path, object? body = null, string? delay = null, string? idempotencyKey = null) =>
        CallAsync(path + "/send" + (delay is null ? string.Empty : "?delay=" + delay), body, idempotencyKey);

    public async Task<IngressResponse> GetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendAsync(request);
    }

    public Task<IngressResponse> ResolveAwakeableAsync(string awakeableId, object value) =>
        CallAsync($"/restate/awakeables/{awakeableId}/resolve", value);

    public Task<IngressResponse> RejectAwakeableAsync(string awakeableId, string reason) =>
        PostAsync($"/restate/awakeables/{awakeableId}/reject", Encoding.UTF8.GetBytes(reason), "text/plain");

    private async Task<IngressResponse> SendAsync(HttpRequestMessage request)
    {
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        var id = response.Headers.TryGetValues("x-restate-id", out var ids) ? ids.FirstOrDefault() : null;
        if (id is null && response.StatusCode == HttpStatusCode.Accepted && body.Length > 0)
        {
            id = JsonDocument.Parse(body).RootElement.TryGetProperty("invocationId", out var p) ? p.GetString() : null;
        }

        return new IngressResponse(response.StatusCode, body, id);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public void Dispose() => _http.Dispose();
}
