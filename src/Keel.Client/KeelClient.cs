using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Keel.Sdk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Keel.Client;

/// <summary>The ingress HTTP implementation of <see cref="IKeelClient"/> (a typed <see cref="HttpClient"/>).</summary>
public sealed class KeelClient : IKeelClient
{
    private readonly HttpClient _http;
    private readonly JsonSerializerOptions _json;

    /// <summary>The constructor dependency injection uses (<c>AddKeelClient</c>).</summary>
    [ActivatorUtilitiesConstructor]
    public KeelClient(HttpClient http, IOptions<KeelClientOptions> options)
        : this(http, (options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
    }

    /// <summary>A client over <paramref name="http"/>; <see cref="KeelClientOptions.IngressUrl"/> (or the client's base address) says where the ingress is.</summary>
    public KeelClient(HttpClient http, KeelClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _json = options.JsonSerializerOptions;
        if (options.IngressUrl is { } url)
        {
            // A trailing slash keeps a path prefix (http://host/keel/) when relative paths are resolved.
            _http.BaseAddress = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
        }

        if (_http.BaseAddress is null)
        {
            throw new InvalidOperationException("KeelClientOptions.IngressUrl is not set.");
        }
    }

    /// <summary>The serializer options payloads are written and read with.</summary>
    public JsonSerializerOptions JsonSerializerOptions => _json;

    /// <inheritdoc/>
    public async Task<TOut> CallAsync<TOut>(Target target, object? input = null, IngressCallOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var request = Request(HttpMethod.Post, TargetPath(target), input, options);
        return await SendForAsync<TOut>(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task CallAsync(Target target, object? input = null, IngressCallOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var request = Request(HttpMethod.Post, TargetPath(target), input, options);
        using var response = await SendCheckedAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<SendResult> SendAsync(Target target, object? input = null, TimeSpan? delay = null, IngressCallOptions? options = null, CancellationToken cancellationToken = default)
    {
        var path = TargetPath(target) + "/send";
        if (delay is { } d)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(d, TimeSpan.Zero, nameof(delay));
            path += "?delay=" + ((long)Math.Ceiling(d.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        using var request = Request(HttpMethod.Post, path, input, options);
        using var response = await SendCheckedAsync(request, cancellationToken).ConfigureAwait(false);
        using var doc = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        var root = doc.RootElement;
        var id = root.TryGetProperty("invocationId", out var i) ? i.GetString() : null;
        var status = root.TryGetProperty("status", out var s) ? s.GetString() : null;
        return new SendResult(id ?? throw new InvalidOperationException("The ingress answered a send without an invocationId."), status ?? "Accepted");
    }

    /// <inheritdoc/>
    public TClient Service<TClient>() where TClient : IIngressClient<TClient> => TClient.Create(this, null);

    /// <inheritdoc/>
    public TClient Object<TClient>(string key) where TClient : IIngressClient<TClient>
    {
        ArgumentNullException.ThrowIfNull(key);
        return TClient.Create(this, key);
    }

    /// <inheritdoc/>
    public TClient Workflow<TClient>(string workflowId) where TClient : IIngressClient<TClient>
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        return TClient.Create(this, workflowId);
    }

    /// <inheritdoc/>
    public Task<TOut> AttachAsync<TOut>(InvocationRef invocation, CancellationToken cancellationToken = default)
        => GetAsync<TOut>(invocation, "attach", cancellationToken);

    /// <inheritdoc/>
    public Task<TOut> GetOutputAsync<TOut>(InvocationRef invocation, CancellationToken cancellationToken = default)
        => GetAsync<TOut>(invocation, "output", cancellationToken);

    /// <inheritdoc/>
    public async Task ResolveAwakeableAsync<T>(string awakeableId, T value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(awakeableId);
        using var request = Request(HttpMethod.Post, $"restate/awakeables/{Uri.EscapeDataString(awakeableId)}/resolve", value, null);
        using var response = await SendCheckedAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task RejectAwakeableAsync(string awakeableId, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(awakeableId);
        ArgumentNullException.ThrowIfNull(reason);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"restate/awakeables/{Uri.EscapeDataString(awakeableId)}/reject")
        {
            Content = new StringContent(reason, Encoding.UTF8, "text/plain"),
        };
        using var response = await SendCheckedAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<TOut> GetAsync<TOut>(InvocationRef invocation, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{invocation.Path}/{what}");
        return await SendForAsync<TOut>(request, cancellationToken).ConfigureAwait(false);
    }

    internal static string TargetPath(Target target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var service = Uri.EscapeDataString(target.ServiceName);
        var handler = Uri.EscapeDataString(target.HandlerName);
        return target.Key is null ? $"{service}/{handler}" : $"{service}/{Uri.EscapeDataString(target.Key)}/{handler}";
    }

    private HttpRequestMessage Request(HttpMethod method, string path, object? input, IngressCallOptions? options)
    {
        var request = new HttpRequestMessage(method, path);
        if (input is not null)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(input, input.GetType(), _json);
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Content = content;
        }

        if (options?.IdempotencyKey is { } key)
        {
            request.Headers.TryAddWithoutValidation("idempotency-key", key);
        }

        if (options?.Headers is { } headers)
        {
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return request;
    }

    private async Task<TOut> SendForAsync<TOut>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await SendCheckedAsync(request, cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (typeof(TOut) == typeof(byte[]))
        {
            return (TOut)(object)bytes;
        }

        return bytes.Length == 0 ? default! : JsonSerializer.Deserialize<TOut>(bytes, _json)!;
    }

    private async Task<HttpResponseMessage> SendCheckedAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(body))
            {
                response.EnsureSuccessStatusCode();
            }

            throw ToTerminal(response.StatusCode, body);
        }
    }

    internal static TerminalException ToTerminal(HttpStatusCode status, string body)
    {
        var code = (ushort)status;
        var message = body;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                {
                    message = m.GetString()!;
                }

                if (doc.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetUInt16(out var parsed))
                {
                    code = parsed;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the body is the message.
        }

        return new TerminalException(message, code);
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
