using System.Text.Json;

namespace Keel.Server.Query;

/// <summary>
/// <c>POST /query</c> on the admin port (unprefixed and under <c>/v2</c>–<c>/v4</c>): a JSON body
/// <c>{"query": "&lt;SQL&gt;"}</c>, answered as JSON when the <c>Accept</c> header is exactly
/// <c>application/json</c> and as an Arrow IPC stream otherwise (Restate's CLI relies on both).
/// Errors are <c>{"message": "…"}</c> with 400 (bad request or SQL) or 500 (engine failure); the
/// status is settled before the first byte of a result is written.
/// </summary>
public static class QueryEndpoints
{
    public const string JsonContentType = "application/json";
    public const string ArrowContentType = "application/vnd.apache.arrow.stream";

    public static void Map(IEndpointRouteBuilder app, QueryEngine engine)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(engine);
        foreach (var prefix in (string[])["", "/v2", "/v3", "/v4"])
        {
            app.MapPost(prefix + "/query", context => HandleAsync(context, engine));
        }
    }

    private static async Task HandleAsync(HttpContext context, QueryEngine engine)
    {
        var cancellationToken = context.RequestAborted;
        QueryResult result;
        try
        {
            var sql = await ReadQueryAsync(context.Request, cancellationToken).ConfigureAwait(false);
            result = await engine.ExecuteAsync(sql, cancellationToken).ConfigureAwait(false);
        }
        catch (QueryException e)
        {
            await WriteErrorAsync(context.Response, e.StatusCode, e.Message, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Reading the snapshot failed, or anything else unforeseen: still a JSON error the CLI can show.
            await WriteErrorAsync(context.Response, StatusCodes.Status500InternalServerError, e.Message, cancellationToken).ConfigureAwait(false);
            return;
        }

        using (result)
        {
            var accept = context.Request.Headers.Accept;
            var json = accept.Count == 1 && string.Equals(accept[0], JsonContentType, StringComparison.Ordinal);
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = json ? JsonContentType : ArrowContentType;
            try
            {
                if (json)
                {
                    await JsonResultWriter.WriteAsync(result, response.BodyWriter, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var body = response.BodyWriter.AsStream(leaveOpen: true);
                    await using (body.ConfigureAwait(false))
                    {
                        var buffered = new BufferedStream(body, 64 * 1024);
                        await using (buffered.ConfigureAwait(false))
                        {
                            await ArrowResultWriter.WriteAsync(result, buffered, cancellationToken).ConfigureAwait(false);
                            await buffered.FlushAsync(cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The status line is out: cut the connection rather than let a partial body pass for a whole one.
                context.Abort();
            }
        }
    }

    /// <summary>The <c>query</c> of a <c>{"query": "…"}</c> body.</summary>
    private static async Task<string> ReadQueryAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new QueryException(400, $"The body must be a JSON object with a \"query\" string: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("query", out var query)
                || query.ValueKind != JsonValueKind.String)
            {
                throw new QueryException(400, "The body must be a JSON object with a \"query\" string.");
            }

            var sql = query.GetString()!;
            return string.IsNullOrWhiteSpace(sql) ? throw new QueryException(400, "The query is empty.") : sql;
        }
    }

    private static async Task WriteErrorAsync(HttpResponse response, int status, string message, CancellationToken cancellationToken)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, ResultValues.JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("message"u8, message);
            json.WriteEndObject();
        }

        var body = buffer.WrittenMemory;
        response.StatusCode = status;
        response.ContentType = JsonContentType;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, cancellationToken).ConfigureAwait(false);
    }
}
