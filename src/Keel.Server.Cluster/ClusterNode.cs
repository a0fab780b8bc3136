using System.Diagnostics;
using Keel.Server.Postgres;

namespace Keel.Server.Cluster;

/// <summary>
/// This node's part in a cluster on one PostgreSQL database: a loop that, every round (a second, or a
/// quarter of the lease time when that is shorter; and just after another node's lease expires, so a
/// dead node's partitions are taken as soon as the fence allows), records the
/// node as alive, renews its leases, stops serving partitions whose lease another node took, and
/// gives back or takes leases so they stay spread evenly (<see cref="LeaseBalance"/>). A partition
/// is served here only under a lease; its commits are fenced by the lease's epoch. When the database
/// cannot be reached for most of a lease time, the node stops serving everything (it cannot prove
/// it still holds anything). A clean stop gives every lease back at once.
/// </summary>
internal sealed partial class ClusterNode : IAsyncDisposable
{
    private readonly PostgresStore _store;
    private readonly LeaseTable _leases;

    /// <summary>
    /// Lease reads on behalf of requests (a forward or hand-over that found its owner moved) go through the
    /// store's pool, never the lease loop's two connections: many callers following a moved partition at
    /// once would otherwise hold the renewals back until the watchdog fences the whole node.
    /// </summary>
    private readonly LeaseTable _lookups;
    private readonly Npgsql.NpgsqlDataSource _leaseConnections;
    private readonly KeelRuntime _runtime;
    private readonly ILogger _logger;
    private readonly Dictionary<int, long> _epochs = [];
    private readonly Dictionary<int, LeaseGuard> _guards = [];
    private readonly CancellationTokenSource _stop = new();
    private long _renewedAtMs = Environment.TickCount64;

    /// <summary>Since the leases were last renewed (read by the loop and the watchdog, written by the loop).</summary>
    private TimeSpan SinceRenewal => TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _renewedAtMs));
    private volatile ClusterView? _view;
    private Task? _loop;
    private Task? _watchdog;

    public ClusterNode(PostgresStore store, KeelRuntime runtime, string name, Uri ingressUrl, Uri adminUrl, Uri internalUrl, TimeSpan leaseTime, ILogger logger)
    {
        InternalUrl = internalUrl;
        _store = store;
        _leaseConnections = store.OpenDedicatedDataSource("keel-leases", maxConnections: 2);
        _leases = new LeaseTable(_leaseConnections);
        _lookups = new LeaseTable(store);
        _runtime = runtime;
        Name = name;
        IngressUrl = ingressUrl;
        AdminUrl = adminUrl;
        LeaseTime = leaseTime;
        _logger = logger;
    }

    public string Name { get; }

    public Uri IngressUrl { get; }

    public Uri AdminUrl { get; }

    /// <summary>Where other nodes send this one hand-overs (the internal listener).</summary>
    public Uri InternalUrl { get; }

    public TimeSpan LeaseTime { get; }

    /// <summary>The owner-side read cache of each partition served here, in bytes (0: none).</summary>
    public long CacheBytesPerPartition { get; init; }

    /// <summary>
    /// How long after a renewal was sent the cache may be trusted: the database's expiry is a whole
    /// lease after it; the watchdog gives up at this same point.
    /// </summary>
    private TimeSpan TrustedFor => LeaseTime * 0.75;

    private TimeSpan Round => LeaseTime / 4 < TimeSpan.FromSeconds(1) ? LeaseTime / 4 : TimeSpan.FromSeconds(1);

    /// <summary>The leases and members as last read (refreshed every round).</summary>
    public ClusterView? View => _view;

    /// <summary>Joins: gives back leases a previous run under this name still held, takes its share, and starts the loop.</summary>
    public async Task StartAsync()
    {
        _leases.EnsurePartitions(_runtime.PartitionCount);
        _leases.Leave(Name);
        await RunRoundAsync().ConfigureAwait(false);
        _loop = Task.Run(LoopAsync);
        _watchdog = Task.Run(WatchdogAsync);
    }

    /// <summary>
    /// Stops serving on time alone: when the leases have not been renewed for most of a lease time,
    /// whatever the lease loop is doing (a round may hang on a stalled database without failing),
    /// this node can no longer prove it holds anything and another may take its partitions over.
    /// </summary>
    private async Task WatchdogAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (await WaitAsync(timer).ConfigureAwait(false))
        {
            var silent = SinceRenewal;
            if (silent <= LeaseTime * 0.75 || _runtime.LocalPartitions.Count == 0)
            {
                continue;
            }

            LogSelfFenced(_logger, Name, silent.TotalSeconds);
            foreach (var partition in _runtime.LocalPartitions)
            {
                // Logged like the loop's own stops: after a long freeze this is often the first to notice.
                await _runtime.ReleaseAsync(partition).ConfigureAwait(false);
                LogStopped(_logger, Name, partition);
            }
        }
    }

    /// <summary>The node serving a partition now, if any lease holder is alive; null when it is served nowhere.</summary>
    public ClusterMember? OwnerOf(int partition)
    {
        var view = _view;
        if (view?.Leases.FirstOrDefault(l => l.Partition == partition) is not { Owner: { } owner })
        {
            return null;
        }

        return view.Members.FirstOrDefault(m => m.Node == owner);
    }

    /// <summary>
    /// Rounds on a fixed pace (counted from each round's start, as a periodic timer would), brought
    /// forward to just after another node's lease expires (<see cref="LeaseSchedule"/>): a dead node's
    /// partitions are taken over when the fence allows, not up to a round later.
    /// </summary>
    private async Task LoopAsync()
    {
        var roundStartedAt = Environment.TickCount64;
        while (true)
        {
            var paced = Round - TimeSpan.FromMilliseconds(Environment.TickCount64 - roundStartedAt);
            var sinceRead = TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _viewReadAtMs));
            if (!await PauseAsync(LeaseSchedule.NextRoundIn(_view, Name, paced, sinceRead)).ConfigureAwait(false))
            {
                return;
            }

            roundStartedAt = Environment.TickCount64;
            try
            {
                await RunRoundAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The loop must go on through database outages; they are logged and bounded by the lease time.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogRoundFailed(_logger, e, Name);
                if (SinceRenewal > LeaseTime * 0.75)
                {
                    LogSelfFenced(_logger, Name, SinceRenewal.TotalSeconds);
                    await StopServingAsync(_runtime.LocalPartitions).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task<bool> PauseAsync(TimeSpan wait)
    {
        try
        {
            await Task.Delay(wait, _stop.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task RunRoundAsync()
    {
        _leases.Heartbeat(Name, IngressUrl, AdminUrl, InternalUrl);
        var held = Renew();

        // Served here but no longer ours (taken over while this node was slow): stop serving them.
        var lost = _runtime.LocalPartitions.Where(p => !held.Any(l => l.Partition == p && _epochs.GetValueOrDefault(p) == l.Epoch)).ToList();
        if (lost.Count > 0)
        {
            await StopServingAsync(lost).ConfigureAwait(false);
            held = Renew();
        }

        // Ours in the database but not served (a partition stopped here after a failure): give them back.
        foreach (var stray in held.Where(l => !_runtime.LocalPartitions.Contains(l.Partition)))
        {
            _leases.Release(Name, stray.Partition);
        }

        var reading = Environment.TickCount64;
        var view = _leases.Read();
        SetViewFromLoop(view, reading);
        var decision = LeaseBalance.Decide(view, Name, LeaseTime);
        var changed = false;
        if (decision.Release is { } release)
        {
            await StopServingAsync([release]).ConfigureAwait(false);
            _leases.Release(Name, release);
            Renew();
            LogReleased(_logger, Name, release);
            changed = true;
        }

        for (var i = 0; i < decision.Acquire; i++)
        {
            var asked = Environment.TickCount64;
            if (_leases.TryAcquire(Name, LeaseTime) is not { } lease)
            {
                break;
            }

            _epochs[lease.Partition] = lease.Epoch;
            var guard = _guards[lease.Partition] = new LeaseGuard(asked + (long)TrustedFor.TotalMilliseconds);
            _runtime.Acquire(lease.Partition, new FencedPartitionStore(_store, new LeaseFence(lease.Partition, Name, lease.Epoch), guard, CacheBytesPerPartition));
            LogAcquired(_logger, Name, lease.Partition, lease.Epoch);
            changed = true;
        }

        if (changed)
        {
            reading = Environment.TickCount64;
            SetViewFromLoop(_leases.Read(), reading);
        }
    }

    /// <summary>
    /// Extends this node's leases and records when. Called again after stopping a partition within a
    /// round: a stop waits for the partition's last batch, and the watchdog must not take that wait for
    /// a node that lost contact with the database.
    /// </summary>
    private IReadOnlyList<PartitionLease> Renew()
    {
        var renewing = Environment.TickCount64;
        var held = _leases.Renew(Name, LeaseTime);
        Volatile.Write(ref _renewedAtMs, renewing);
        foreach (var lease in held)
        {
            if (_guards.TryGetValue(lease.Partition, out var guard) && _epochs.GetValueOrDefault(lease.Partition) == lease.Epoch)
            {
                guard.Extend(renewing, TrustedFor);
            }
        }

        return held;
    }

    private async Task StopServingAsync(IReadOnlyList<int> partitions)
    {
        foreach (var partition in partitions)
        {
            // Nothing cached is served from here on; the partition's last reads go to the database.
            if (_guards.Remove(partition, out var guard))
            {
                guard.Revoke();
            }

            await _runtime.ReleaseAsync(partition).ConfigureAwait(false);
            _epochs.Remove(partition);
            LogStopped(_logger, Name, partition);
        }
    }

    /// <summary>A clean stop: the partitions stop here first, then their leases go back so others take them at once.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        if (_watchdog is not null)
        {
            await _watchdog.ConfigureAwait(false);
        }

        await StopServingAsync(_runtime.LocalPartitions).ConfigureAwait(false);
        try
        {
            _leases.Leave(Name);
        }
        catch (Npgsql.NpgsqlException e)
        {
            LogLeaveFailed(_logger, e, Name);
        }

        await _leaseConnections.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _lookingUp.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} serves partition {Partition} (lease epoch {Epoch})")]
    private static partial void LogAcquired(ILogger logger, string node, int partition, long epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} gives partition {Partition} back to spread the leases")]
    private static partial void LogReleased(ILogger logger, string node, int partition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} stopped serving partition {Partition}")]
    private static partial void LogStopped(ILogger logger, string node, int partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} could not renew its leases")]
    private static partial void LogRoundFailed(ILogger logger, Exception error, string node);

    [LoggerMessage(Level = LogLevel.Error, Message = "Node {Node} has not renewed its leases for {Seconds:F1} s: it stops serving its partitions until it can")]
    private static partial void LogSelfFenced(ILogger logger, string node, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} could not give its leases back on stopping; they expire instead")]
    private static partial void LogLeaveFailed(ILogger logger, Exception error, string node);
}
