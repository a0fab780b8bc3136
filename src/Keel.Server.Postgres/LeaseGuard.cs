namespace Keel.Server.Postgres;

/// <summary>
/// How long this node can be sure it still holds one partition's lease, by its own monotonic clock:
/// the lease loop extends it after each renewal (from the moment the renewal was sent, so the database's
/// expiry is later still) and revokes it when the partition stops here. The owner-side cache is served
/// only while it holds: a node that was frozen past its lease, or lost it, reads the database instead.
/// </summary>
public sealed class LeaseGuard
{
    private long _heldUntilMs;
    private volatile bool _revoked;

    /// <param name="heldUntilMs">The first deadline, in <see cref="Environment.TickCount64"/> milliseconds.</param>
    public LeaseGuard(long heldUntilMs) => _heldUntilMs = heldUntilMs;

    /// <summary>Whether the lease is certainly held at this moment.</summary>
    public bool Held => !_revoked && Environment.TickCount64 < Volatile.Read(ref _heldUntilMs);

    public bool Revoked => _revoked;

    /// <summary>A renewal sent at <paramref name="sentAtMs"/> succeeded: the lease is held until then plus <paramref name="margin"/>.</summary>
    public void Extend(long sentAtMs, TimeSpan margin)
    {
        var until = sentAtMs + (long)margin.TotalMilliseconds;
        long current;
        do
        {
            current = Volatile.Read(ref _heldUntilMs);
            if (until <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _heldUntilMs, until, current) != current);
    }

    /// <summary>The partition stopped here or its lease went to another node: nothing cached may be served again.</summary>
    public void Revoke() => _revoked = true;
}
