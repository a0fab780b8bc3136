using System.Net.Http.Headers;
using System.Text;

namespace Keel.Cli.Api;

/// <summary>The ingress of a Keel or Restate server: calls and one-way sends to handlers.</summary>
internal sealed class IngressApi(Uri baseUrl) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseUrl, Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>POSTs the JSON body (or none) to the path; the answer whatever its status, with the x-restate-id header if any.</summary>
    public async Task<(ApiResponse Response, string? InvocationId)> PostAsync(string path, string? json, string? idempotencyKey, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("idempotency-key", idempotencyKey);
        }

        string? id = null;
        var response = await Transport.SendAsync(_http, request, "ingress", ct);
        if (response.Body is { ValueKind: System.Text.Json.JsonValueKind.Object } body
            && body.TryGetProperty("invocationId", out var p) && p.ValueKind == System.Text.Json.JsonValueKind.String)
        {
            id = p.GetString();
        }

        return (response, id);
    }

    public void Dispose() => _http.Dispose();
}
