using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Keel.TestSupport;

/// <summary>
/// Loopback ports for servers started by tests. They are taken below the kernel's ephemeral range:
/// a port the OS picks for "bind to 0" comes from that range, which outgoing connections draw their
/// local ports from too, so such a port can be taken by any HTTP client between the moment it is
/// chosen and the moment the server binds it (seen as "address already in use" under a parallel
/// test run), and again before a restarted server binds it a second time.
/// </summary>
public static class FreePort
{
    private const int Lowest = 20000;
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> HandedOut = [];
    private static readonly int Highest = EphemeralRangeStart() - 1;

    // Each test process starts at its own place in the range so that parallel processes rarely try the same ports.
    private static int _next = Lowest + (Environment.ProcessId * 7919 % (Highest - Lowest));

    /// <summary>A loopback port that is free now, outside the ephemeral range, never handed out before by this process.</summary>
    public static int Next()
    {
        lock (Gate)
        {
            for (var tries = 0; tries < Highest - Lowest; tries++)
            {
                var port = _next;
                _next = _next >= Highest ? Lowest : _next + 1;
                if (HandedOut.Add(port) && IsFree(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"No free loopback port between {Lowest} and {Highest}.");
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
        if (File.Exists(RangeFile)
            && int.TryParse(File.ReadAllText(RangeFile).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            && start > Lowest + 1000)
        {
            return start;
        }

        return 32768;
    }
}
