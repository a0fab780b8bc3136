namespace Keel.Server.Deadlocks;

/// <summary>
/// Why one invocation of a cycle waits for the next: it awaits the result of a call to it
/// (<see cref="Call"/>), or it is queued behind it for its object key's lock (<see cref="Lock"/>).
/// </summary>
public enum WaitReason
{
    Call,
    Lock,
}

/// <summary>One invocation of a deadlock and what it waits for: the next member (the last one waits for the first).</summary>
public sealed record CycleMember(string Id, string Target, WaitReason WaitsBy);

/// <summary>
/// Invocations each blocked by the next, the last by the first: none of them can finish until one is
/// cancelled or killed. <paramref name="Members"/> starts at the invocation whose wait closed the cycle.
/// </summary>
public sealed record DeadlockCycle(IReadOnlyList<CycleMember> Members, DateTimeOffset DetectedAt)
{
    /// <summary>The cycle as an operator reads it: <c>A/k/hop (inv_1…) -call-> B/k/hop (inv_1…) -lock-> …</c>, back to the first.</summary>
    public string Describe() =>
        string.Join(" ", Members.Select(m => $"{m.Target} ({m.Id}) -{(m.WaitsBy == WaitReason.Call ? "call" : "lock")}->"))
        + $" {Members[0].Target} ({Members[0].Id})";
}
