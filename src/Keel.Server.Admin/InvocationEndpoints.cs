using System.Text.Json.Nodes;
using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Keel.Server.Admin;

/// <summary>
/// Operator actions on one invocation (Restate 1.7's paths and status codes):
/// <c>PATCH /invocations/{id}/cancel|kill|purge|purge-journal|pause|resume|restart-as-new</c>, and the
/// older <c>DELETE /invocations/{id}?mode=cancel|kill|purge</c>.
/// </summary>
public static class InvocationEndpoints
{
    public static void Map(RouteGroupBuilder group, IRuntimeApi runtime)
    {
        ArgumentNullException.ThrowIfNull(group);
        group.MapPatch("/invocations/{id}/{action}", (string id, string action, string? deployment, CancellationToken ct) => ControlAsync(runtime, id, action, deployment, ct));
        group.MapDelete("/invocations/{id}", async (string id, string? mode, CancellationToken ct) =>
        {
            var result = await ControlAsync(runtime, id, (mode ?? "cancel").ToLowerInvariant(), null, ct);
            return result is IStatusCodeHttpResult { StatusCode: 200 } ? Results.StatusCode(202) : result;
        });
    }

    private static async Task<IResult> ControlAsync(IRuntimeApi runtime, string id, string action, string? deployment, CancellationToken ct)
    {
        if (!InvocationId.TryParse(id, out var invocationId))
        {
            return AdminEndpoints.Error(400, $"'{id}' is not a valid invocation id (expected inv_1…).");
        }

        ResumeDeployment? target = deployment switch
        {
            null or "" or "keep" => new ResumeDeployment.Keep(),
            "latest" => new ResumeDeployment.Latest(),
            _ when deployment.StartsWith("dp_", StringComparison.Ordinal) => new ResumeDeployment.Specific(deployment),
            _ => null,
        };
        if (target is null)
        {
            return AdminEndpoints.Error(400, $"Query parameter 'deployment' must be keep, latest or a deployment id (dp_…), not '{deployment}'.");
        }

        ControlResult? result = action switch
        {
            "cancel" => await runtime.CancelAsync(invocationId, ct),
            "kill" => await runtime.KillAsync(invocationId, ct),
            "purge" => await runtime.PurgeAsync(invocationId, ct),
            "purge-journal" => await runtime.PurgeJournalAsync(invocationId, ct),
            "pause" => await runtime.PauseAsync(invocationId, ct),
            "resume" => await runtime.ResumeAsync(invocationId, target, ct),
            "restart-as-new" => await runtime.RestartAsNewAsync(invocationId, ct),
            _ => null,
        };
        if (result is null)
        {
            return AdminEndpoints.Error(404, $"Unknown invocation action '{action}': use cancel, kill, purge, purge-journal, pause, resume or restart-as-new.");
        }

        return result.Status switch
        {
            ControlStatus.Done when result.NewId is { } newId => Results.Json(new JsonObject { ["new_invocation_id"] = newId.ToString() }),
            ControlStatus.Done or ControlStatus.AlreadyPaused => Results.Ok(),
            ControlStatus.Appended => Results.StatusCode(202),
            ControlStatus.NotFound => AdminEndpoints.Error(404, result.Message ?? $"Invocation {id} not found."),
            ControlStatus.AlreadyCompleted => AdminEndpoints.Error(409, $"Invocation {id} is already completed."),
            ControlStatus.NotCompleted => AdminEndpoints.Error(409, action == "restart-as-new"
                ? $"Invocation {id} is still running: only a completed invocation can be restarted as new."
                : $"Invocation {id} is not completed yet: cancel or kill it first."),
            ControlStatus.NotRunning => AdminEndpoints.Error(409, $"Invocation {id} is not running (it waits in its key's inbox or for its scheduled time): cancel or kill it instead."),
            ControlStatus.NotStarted => AdminEndpoints.Error(425, $"Invocation {id} has not started yet."),
            ControlStatus.Unsupported => AdminEndpoints.Error(422, result.Message ?? "Not supported for this invocation."),
            ControlStatus.InputGone => AdminEndpoints.Error(410, result.Message ?? "The invocation's input is no longer kept."),
            ControlStatus.BadDeployment => AdminEndpoints.Error(400, result.Message ?? "Bad deployment."),
            _ => AdminEndpoints.Error(409, result.Message ?? "Conflict."),
        };
    }
}
