using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Microsoft.AspNetCore.Http;

namespace Keel.Server.Ingress;

/// <summary>The /restate/... routes: awakeables, attach and output.</summary>
public static partial class IngressEndpoints
{
    private static async Task RestatePathAsync(HttpContext http, string[] s, IRuntimeApi runtime, CancellationToken ct)
    {
        // /restate/awakeables/{id}/resolve|reject (alias /restate/a/...)
        if (s.Length == 4 && s[1] is "awakeables" or "a" && s[3] is "resolve" or "reject")
        {
            if (!TryParseAwakeable(s[2], out var awakeable))
            {
                await IngressError(http, 400, $"'{s[2]}' is not an awakeable id.");
                return;
            }

            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, ct);
            InvocationResult result = s[3] == "resolve"
                ? new InvocationResult.Success(body.ToArray())
                : new InvocationResult.Failure(500, Encoding.UTF8.GetString(body.ToArray()));
            await runtime.CompleteAwakeableAsync(awakeable, result, ct);
            http.Response.StatusCode = 202;
            return;
        }

        InvocationQuery? query = null;
        string? mode = null;
        if (s.Length == 4 && s[1] == "invocation" && InvocationId.TryParse(s[2], out var id))
        {
            (query, mode) = (new InvocationQuery.ById(id), s[3]);
        }
        else if (s.Length == 6 && s[1] == "invocation")
        {
            (query, mode) = (new InvocationQuery.Idempotent(s[2], null, s[3], s[4]), s[5]);
        }
        else if (s.Length == 7 && s[1] == "invocation")
        {
            (query, mode) = (new InvocationQuery.Idempotent(s[2], s[3], s[4], s[5]), s[6]);
        }
        else if (s.Length == 5 && s[1] == "workflow")
        {
            (query, mode) = (new InvocationQuery.Workflow(s[2], s[3]), s[4]);
        }

        if (query is null || mode is not ("attach" or "output"))
        {
            await IngressError(http, 404, $"Unknown path {http.Request.Path}.");
            return;
        }

        var output = await runtime.GetOutputAsync(query, wait: mode == "attach", ct);
        switch (output.Status)
        {
            case OutputStatus.NotFound:
                await IngressError(http, 404, "Invocation not found.");
                return;
            case OutputStatus.NotReady:
                await IngressError(http, 470, "Invocation not ready yet.");
                return;
            default:
                http.Response.Headers["x-restate-id"] = output.Id.ToString();
                await WriteResult(http, output.Result!, null);
                return;
        }
    }

    /// <summary>An awakeable id, or false for anything else (ids with characters base64url does not have included).</summary>
    private static bool TryParseAwakeable(string text, out AwakeableId id)
    {
        try
        {
            return AwakeableId.TryParse(text, out id);
        }
        catch (FormatException)
        {
            id = default;
            return false;
        }
    }

    private static async Task WriteResult(HttpContext http, InvocationResult result, string? contentType)
    {
        switch (result)
        {
            case InvocationResult.Success success:
                http.Response.StatusCode = 200;
                if (!success.Value.IsEmpty)
                {
                    http.Response.ContentType = contentType ?? "application/json";
                    await http.Response.Body.WriteAsync(success.Value);
                }

                return;
            case InvocationResult.Failure failure:
                var body = new JsonObject { ["code"] = failure.Code, ["message"] = failure.Message };
                if (failure.Metadata is { Count: > 0 } metadata)
                {
                    body["metadata"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
                }

                body["source"] = "invocation";
                http.Response.Headers["x-restate-error-source"] = "invocation";
                http.Response.StatusCode = failure.Code is >= 100 and <= 999 ? failure.Code : 500;
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync(body.ToJsonString());
                return;
        }
    }

    /// <summary>JSON that keeps quotes and other punctuation of messages as they are (no \u0027 escapes).</summary>
    internal static readonly JsonSerializerOptions ReadableJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static async Task IngressError(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        http.Response.Headers["x-restate-error-source"] = "ingress";
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(new JsonObject { ["code"] = status, ["message"] = message, ["source"] = "ingress" }.ToJsonString(ReadableJson));
    }
}
