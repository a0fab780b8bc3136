using Keel.Protocol.Messages;

namespace Keel.Sdk.Core;

/// <summary>
/// Notifications in arrival (= journal) order, and those already made "ready". Futures are resolved
/// by moving pending notifications to ready one at a time, so a race replays with the same winner.
/// </summary>
internal sealed class NotificationQueue
{
    private readonly Queue<(NotificationId Id, NotificationResult Result)> _pending = new();
    private readonly Dictionary<NotificationId, NotificationResult> _ready = [];

    public bool HasPending => _pending.Count > 0;

    public void Enqueue(NotificationId id, NotificationResult result) => _pending.Enqueue((id, result));

    /// <summary>Makes a result ready at once (eager state, an acknowledged run proposal).</summary>
    public void MakeReady(NotificationId id, NotificationResult result) => _ready[id] = result;

    /// <summary>Moves the oldest pending notification to ready; false when none is pending.</summary>
    public bool PromoteOne()
    {
        if (!_pending.TryDequeue(out var next))
        {
            return false;
        }

        _ready[next.Id] = next.Result;
        return true;
    }

    public bool IsReady(NotificationId id) => _ready.ContainsKey(id);

    public bool TryGetReady(NotificationId id, out NotificationResult result) => _ready.TryGetValue(id, out result!);

    public bool Take(NotificationId id, out NotificationResult result) => _ready.Remove(id, out result!);

    /// <summary>True when the id is known at all (pending or ready): used to skip re-running journaled runs.</summary>
    public bool Contains(NotificationId id) => _ready.ContainsKey(id) || _pending.Any(p => p.Id == id);

    public static NotificationResult ToResult(NotificationTemplate n) => n.ResultCase switch
    {
        NotificationTemplate.ResultOneofCase.Void => new NotificationResult.Void(),
        NotificationTemplate.ResultOneofCase.Value => new NotificationResult.Success(n.Value.Content.Memory),
        NotificationTemplate.ResultOneofCase.Failure => new NotificationResult.Failure(FailureConversions.FromProto(n.Failure)),
        NotificationTemplate.ResultOneofCase.InvocationId => new NotificationResult.InvocationId(n.InvocationId),
        NotificationTemplate.ResultOneofCase.StateKeys => new NotificationResult.StateKeys(
            n.StateKeys.Keys.Select(k => k.ToStringUtf8()).ToList()),
        _ => throw new InvalidOperationException("notification without result"),
    };
}
