using System.Text.Json;
using Keel.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Admin;

/// <summary>How the registry writes to its store and learns of changes other nodes wrote.</summary>
public sealed partial class SchemaRegistry
{
    /// <summary>How often a registry on a shared store asks whether the stored version changed.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Saves lost to other nodes before a change gives up (each loss means another node's change went in).</summary>
    private const int SaveAttempts = 16;

    /// <summary>
    /// At most one refresh for names not found per interval: a client asking for a service that does
    /// not exist, again and again, costs the database one version query per interval, not one per request.
    /// </summary>
    private const long MissRefreshIntervalMs = 50;

    private readonly Lock _refreshGate = new();
    private readonly CancellationTokenSource _stopPolling = new();
    private readonly Task? _polling;
    private readonly ILogger? _logger;
    private long _lastMissRefresh = long.MinValue / 2;
    private int _disposed;

    /// <summary>
    /// Applies <paramref name="change"/> to the latest document and saves what it returns (nothing when
    /// it returns null). On a shared store the latest document is read from the store first, and the
    /// save succeeds only if no other node saved in between; otherwise the change runs again on the
    /// newer document, so concurrent changes from several nodes all go in.
    /// </summary>
    /// <exception cref="InvalidOperationException">Other nodes saved before this one <see cref="SaveAttempts"/> times in a row.</exception>
    private T Mutate<T>(Func<SchemaDocument, (SchemaDocument? Next, T Result)> change)
    {
        lock (_gate)
        {
            for (var attempt = 1; ; attempt++)
            {
                var current = _store.IsShared ? Publish(Read(_store.Load())) : _current;
                var (next, result) = change(current.Document);
                if (next is null)
                {
                    return result;
                }

                if (_store.TrySave(JsonSerializer.SerializeToUtf8Bytes(next, Json), current.Version))
                {
                    Publish(new Current(next, current.Version + 1));
                    return result;
                }

                if (attempt == SaveAttempts)
                {
                    throw new InvalidOperationException($"The schema changed on other nodes {SaveAttempts} times while this node saved a change; try again.");
                }

                // A random pause, growing with the losses, so that two nodes retrying in step do not keep colliding.
#pragma warning disable CA5394 // Jitter, not security.
                Thread.Sleep(Random.Shared.Next(1, Math.Min(2 << attempt, 50)));
#pragma warning restore CA5394
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="next"/> the current document unless a newer version is already current
    /// (a poll that read an older version must not undo a change saved meanwhile); returns the current one.
    /// </summary>
    private Current Publish(Current next)
    {
        var seen = _current;
        while (next.Version > seen.Version)
        {
            var prior = Interlocked.CompareExchange(ref _current, next, seen);
            if (ReferenceEquals(prior, seen))
            {
                return next;
            }

            seen = prior;
        }

        return seen;
    }

    /// <summary>Reads the document again if its stored version is not the current one; true if that brought a newer one.</summary>
    private bool Refresh()
    {
        lock (_refreshGate)
        {
            var seen = _current;
            return _store.ReadVersion() != seen.Version && !ReferenceEquals(Publish(Read(_store.Load())), seen);
        }
    }

    /// <summary>
    /// For a name not found: refreshes from a shared store, at most once per <see cref="MissRefreshIntervalMs"/>,
    /// and says whether the document changed (then the caller looks again). Callers arriving while a
    /// refresh runs wait for it and use its result. A store that cannot be read answers "no change":
    /// the name is reported as not found, as it would have been without the refresh.
    /// </summary>
    private bool RefreshOnMiss()
    {
        if (!_store.IsShared || Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }

        var seen = _current;
        lock (_refreshGate)
        {
            if (!ReferenceEquals(_current, seen))
            {
                return true;
            }

            var now = Environment.TickCount64;
            if (now - _lastMissRefresh < MissRefreshIntervalMs)
            {
                return false;
            }

            _lastMissRefresh = now;
            try
            {
                return Refresh();
            }
            catch (Exception e) when (e is System.Data.Common.DbException or IOException or TimeoutException or InvalidOperationException or JsonException)
            {
                return false;
            }
        }
    }

    private async Task PollAsync(TimeSpan interval, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval);
        var failing = false;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    Refresh();
                    if (failing)
                    {
                        failing = false;
                        _logger?.LogInformation("Schema registry: the shared schema can be read again");
                    }
                }
#pragma warning disable CA1031 // The poll must outlive any failure (database restarting, network): it serves the last document and tries again next tick.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    // Logged once per outage, not once per tick.
                    if (!failing)
                    {
                        failing = true;
                        _logger?.LogWarning(e, "Schema registry: cannot read the shared schema; serving the last one read and retrying every {Interval} ms", interval.TotalMilliseconds);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops the poll and releases the store; reads keep answering from the last document.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopPolling.Cancel();
        _polling?.GetAwaiter().GetResult();
        _stopPolling.Dispose();
        _store.Dispose();
    }
}
