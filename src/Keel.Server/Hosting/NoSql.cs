using Keel.Server.Admin;

namespace Keel.Server.Hosting;

/// <summary>
/// <c>POST /query</c> on a server without the SQL role (Keel.Server.Query): a clear 501 instead of a
/// 404 that would read as a wrong URL or an old server.
/// </summary>
internal static class NoSql
{
    public const string Message = "SQL introspection is not part of this server (it comes with the query role: run keel-server, or host Keel.Server.Full).";

    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var prefix in (string[])["", "/v2", "/v3", "/v4"])
        {
            app.MapPost(prefix + "/query", () => AdminEndpoints.Error(StatusCodes.Status501NotImplemented, Message));
        }
    }
}
