using System.Diagnostics;
using System.Net.Sockets;
using Npgsql;

namespace Keel.Server.Cluster;

/// <summary>
/// A node started while its database restarts, or while the network to it is briefly broken, waits for it rather
/// than exiting: a supervisor restarting both at once (or one after the other) would otherwise see the node fail
/// its start for a database that answers a second later. Only failures of reaching the database are waited out;
/// a wrong password, a missing database or a malformed setting still fails the start at once.
/// </summary>
internal static class DatabaseStartWait
{
    /// <summary>How long a start waits for an unreachable database before it gives up with the last error.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(2);

    /// <summary>Runs <paramref name="open"/> until it succeeds, fails for another reason, or <paramref name="patience"/> is used up.</summary>
    public static T Run<T>(Func<T> open, string what, ILogger? logger, TimeSpan? patience = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        var limit = patience ?? Patience;
        var clock = Stopwatch.StartNew();
        var delay = FirstDelay;
        while (true)
        {
            try
            {
                return open();
            }
            catch (Exception e) when (IsUnreachable(e) && clock.Elapsed + delay < limit)
            {
                logger?.LogWarning("Cannot reach {What} yet ({Error}); trying again in {Delay} ms (the start gives up after {Patience} s)",
                    what, e.Message, (int)delay.TotalMilliseconds, (int)limit.TotalSeconds);
                Thread.Sleep(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestDelay.Ticks));
            }
        }
    }

    /// <summary>
    /// The database could not be reached or is starting up: a refused, reset or timed-out connection (Npgsql calls
    /// these transient, as it does PostgreSQL's "starting up" and "shutting down" answers), or a socket used after the
    /// connection under it broke.
    /// </summary>
    public static bool IsUnreachable(Exception e) =>
        e is NpgsqlException { IsTransient: true }
        || e is NpgsqlException { InnerException: IOException or SocketException or TimeoutException }
        || e is SocketException
        || (e is InvalidOperationException && e.TargetSite?.DeclaringType?.Namespace == typeof(Socket).Namespace);
}
