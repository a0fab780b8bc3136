using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>
/// Calls handlers through the ingress with a deadline per call, and says what the outcome tells about the
/// operation: ok (2xx: it took effect), fail (it certainly did not: the connection was refused, so the request
/// never reached the server; or the server refused it with 429, or with a 503 that <see cref="NotAccepted"/>
/// recognises), or info (anything else: a timeout, a connection cut after the request was sent, any other 5xx;
/// the invocation may have been accepted and may still run).
/// </summary>
public sealed partial class IngressCaller(Uri ingressUrl, TimeSpan timeout) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // No client-wide timeout: each call has its own deadline, and the campaign's end never cuts a call short
    // (that would turn operations that were about to complete into indeterminate ones).
    private readonly HttpClient _http = new() { BaseAddress = ingressUrl, Timeout = Timeout.InfiniteTimeSpan };

    public Task<CallOutcome> CallAsync(string path, object? body, string? idempotencyKey = null) => SendAsync(HttpMethod.Post, path, body, idempotencyKey);

    /// <summary>A GET (the ingress's attach and output paths).</summary>
    public Task<CallOutcome> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null, null);

    private async Task<CallOutcome> SendAsync(HttpMethod method, string path, object? body, string? idempotencyKey)
    {
        using var deadline = new CancellationTokenSource(timeout);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("idempotency-key", idempotencyKey);
        }

        try
        {
            using var response = await _http.SendAsync(request, deadline.Token);
            var text = await response.Content.ReadAsStringAsync(deadline.Token);
            if (response.IsSuccessStatusCode)
            {
                return new CallOutcome(OpKind.Ok, text.Length == 0 ? null : JsonDocument.Parse(text).RootElement.Clone(), null);
            }

            var error = $"HTTP {(int)response.StatusCode}: {Truncate(text)}";
            var refused = response.StatusCode == HttpStatusCode.TooManyRequests || NotAccepted(response, text);
            return new CallOutcome(refused ? OpKind.Fail : OpKind.Info, null, error);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return new CallOutcome(OpKind.Fail, null, "connection refused");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return new CallOutcome(OpKind.Info, null, $"no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
        {
            return new CallOutcome(OpKind.Info, null, $"{e.GetType().Name}: {Truncate(Flatten(e))}");
        }
    }

    /// <summary>
    /// A 503 that says the request was certainly not taken: "Partition N is not served by this node." comes only from
    /// a <c>PartitionNotOwnedException</c>, which the server throws before it offers a request to a partition (no local
    /// processor) or for requests a stopped partition never applied; a node with no owner to forward to passes it on
    /// as is. The one path that answers it for an accepted invocation is following a moved invocation, whose answer
    /// carries the invocation's id (<c>x-restate-id</c>): that one stays indeterminate. Every other 503 (a forward
    /// that failed, a partition stopping or fenced, the database unreachable) may come after the request was
    /// accepted. docs/reliability.md ("Which answers count as failed").
    /// </summary>
    public static bool NotAccepted(HttpResponseMessage response, string body)
    {
        if (response.StatusCode != HttpStatusCode.ServiceUnavailable || response.Headers.Contains("x-restate-id"))
        {
            return false;
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
                && NotServedHere().IsMatch(message.GetString()!);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^Partition \d+ is not served by this node\.$", RegexOptions.CultureInvariant)]
    private static partial Regex NotServedHere();

    private static string Flatten(Exception e)
    {
        var text = new StringBuilder(e.Message);
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            text.Append(" <- ").Append(inner.Message);
        }

        return text.ToString();
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "...";

    public void Dispose() => _http.Dispose();
}
