using System.Text.Json.Nodes;
using Keel.Server.Hosting.Listeners;

namespace Keel.Server.Cluster.Security;

/// <summary>
/// The internal listener's front door: every request must carry a fresh signature with the cluster
/// secret (<see cref="InternalRequestVerifier"/>), checked over the whole body before any endpoint
/// runs, so a forged or replayed hand-over or acknowledgement changes nothing.
/// </summary>
internal static class InternalAuthentication
{
    /// <summary>Hand-over batches are small; anything far larger is not one of ours.</summary>
    private const int MaxBody = 64 << 20;

    public static void UseInternalAuthentication(this WebApplication app, ClusterHandle cluster) =>
        app.UseWhen(http => http.ListenerRole() == ListenerRole.Internal, inner => inner.Use(async (http, next) =>
        {
            if (cluster.Verifier is not { } verifier)
            {
                await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, "This node has not joined the cluster yet.").ConfigureAwait(false);
                return;
            }

            if (http.Request.ContentLength > MaxBody)
            {
                await RefuseAsync(http, StatusCodes.Status413PayloadTooLarge, $"Internal requests are at most {MaxBody} bytes.").ConfigureAwait(false);
                return;
            }

            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted).ConfigureAwait(false);
            var bytes = body.ToArray();
            var refusal = verifier.Verify(http.Request.Method, http.Request.Path.Value + http.Request.QueryString.Value,
                name => http.Request.Headers.TryGetValue(name, out var value) ? value.ToString() : null, bytes);
            if (refusal is not null)
            {
                await RefuseAsync(http, StatusCodes.Status401Unauthorized, $"Refused: {refusal}.").ConfigureAwait(false);
                return;
            }

            http.Request.Body = new MemoryStream(bytes, writable: false);
            await next(http).ConfigureAwait(false);
        }));

    private static Task RefuseAsync(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(new JsonObject { ["message"] = message }.ToJsonString());
    }
}
