namespace Keel.Server.Cluster.Security;

/// <summary>
/// Nonces of signed requests seen lately, each kept until its request's timestamp could no longer pass
/// the skew check: a nonce seen twice within that time is a replay. Expired entries are swept as new
/// ones arrive, so the cache holds one window of genuine traffic at most.
/// </summary>
internal sealed class NonceCache
{
    private readonly Dictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _byExpiry = new();
    private readonly Lock _lock = new();

    /// <summary>False when <paramref name="nonce"/> is already held.</summary>
    public bool TryAdd(string nonce, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        lock (_lock)
        {
            while (_byExpiry.TryPeek(out var oldest, out var expiry) && expiry <= now)
            {
                _byExpiry.Dequeue();
                if (_expiries.TryGetValue(oldest, out var held) && held == expiry)
                {
                    _expiries.Remove(oldest);
                }
            }

            if (!_expiries.TryAdd(nonce, expiresAt))
            {
                return false;
            }

            _byExpiry.Enqueue(nonce, expiresAt);
            return true;
        }
    }
}
