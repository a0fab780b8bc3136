using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keel.Sdk.AspNetCore.Identity;

/// <summary>Answers 401 to requests without a valid request identity, when identity keys are configured.</summary>
internal static partial class IdentityGate
{
    public static async Task<bool> AdmitAsync(HttpContext http, KeelBuilder builder)
    {
        var verifier = builder.Identity;
        if (!verifier.Enabled)
        {
            return true;
        }

        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var path = string.IsNullOrEmpty(raw) || raw[0] != '/' ? (http.Request.PathBase + http.Request.Path).ToUriComponent() : raw.Split('?', 2)[0];
        var time = http.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
        var error = verifier.Check(
            http.Request.Headers[RequestIdentityVerifier.SchemeHeader].ToString(),
            http.Request.Headers[RequestIdentityVerifier.JwtHeader].ToString(),
            path,
            time.GetUtcNow());
        if (error is null)
        {
            return true;
        }

        LogRejected(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Keel.Identity"), http.Request.Method, path, error);
        http.Response.Headers[SdkVersion.HeaderName] = SdkVersion.Value;
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(error);
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Method} {Path}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string method, string path, string reason);
}
