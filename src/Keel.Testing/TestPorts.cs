using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Keel.Testing;

/// <summary>
/// Loopback ports for the environment's listeners. They are taken below the kernel's ephemeral range:
/// ports the OS hands out for "bind to port 0" come from that range, from which outgoing connections
/// draw their local ports too, so such a port can be taken between being chosen and being bound.
/// A port found free here can still be taken by another process before it is bound, so callers retry
/// a start that fails to bind with new ports.
/// </summary>
internal static class TestPorts
{
    private const int Lowest = 20000;
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> HandedOut = [];
    private static readonly int Highest = EphemeralRangeStart() - 1;

    /// <summary>A loopback port free now, never handed out before in this process (parallel environments never share one).</summary>
    public static int Next()
    {
        lock (Gate)
        {
            // Random starting points keep parallel test processes apart.
            for (var tries = 0; tries < 1000; tries++)
            {
                var port = Random.Shared.Next(Lowest, Highest + 1);
                if (HandedOut.Add(port) && IsFree(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"Keel.Testing found no free loopback port between {Lowest} and {Highest}.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int EphemeralRangeStart()
    {
        const string RangeFile = "/proc/sys/net/ipv4/ip_local_port_range";
        try
        {
            if (File.Exists(RangeFile)
                && int.TryParse(File.ReadAllText(RangeFile).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries)[0], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                && start > Lowest + 1000)
            {
                return start;
            }
        }
        catch (IOException)
        {
            // Unreadable: assume the IANA default below.
        }

        // IANA's dynamic range starts at 49152; Linux's default at 32768: stay below both.
        return 32768;
    }
}
