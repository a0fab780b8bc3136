using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Keel.Chaos.Network;

/// <summary>
/// One client connection through a <see cref="TcpProxy"/> and its connection to the target: two pumps, one per
/// direction, each looking at the proxy's fault before every chunk it forwards.
/// </summary>
internal sealed class ProxyConnection(TcpProxy proxy, Socket client)
{
    private const int ChunkBytes = 16 * 1024;
    private Socket? _upstream;
    private int _reset;
    private volatile bool _lostBytes;

    /// <summary>Bytes of this stream were thrown away by a blackhole.</summary>
    public bool LostBytes => _lostBytes;

    public async Task RunAsync(EndPoint target, CancellationToken stop)
    {
        try
        {
            // A blackholed link accepts and reads, but the target never hears of the connection. A chunk that
            // arrives after the heal is the stream's first whole one: it is kept for the target.
            ReadOnlyMemory<byte> first = default;
            while (proxy.Fault == ProxyFault.Blackhole && Volatile.Read(ref _reset) == 0)
            {
                var (read, kept) = await DiscardAsync(stop);
                if (read == 0)
                {
                    return;
                }

                first = kept;
            }

            if (proxy.Fault == ProxyFault.Delay)
            {
                await HoldAsync(proxy.Delay, stop);
            }

            var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            _upstream = upstream;
            if (Volatile.Read(ref _reset) != 0)
            {
                Reset();
                return;
            }

            await upstream.ConnectAsync(target, stop);
            if (!first.IsEmpty)
            {
                await upstream.SendAsync(first, SocketFlags.None, stop);
            }

            await Task.WhenAll(PumpAsync(client, upstream, stop), PumpAsync(upstream, client, stop));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            Reset();
        }
        finally
        {
            proxy.Forget(this);
            client.Dispose();
            _upstream?.Dispose();
        }
    }

    /// <summary>
    /// Reads one chunk from the client and drops it while the blackhole lasts, else keeps it; a read of 0 bytes
    /// when the client closed.
    /// </summary>
    private async Task<(int Read, ReadOnlyMemory<byte> Kept)> DiscardAsync(CancellationToken stop)
    {
        var buffer = new byte[ChunkBytes];
        var read = await client.ReceiveAsync(buffer, SocketFlags.None, stop);
        if (read == 0 || proxy.Fault != ProxyFault.Blackhole)
        {
            return (read, buffer.AsMemory(0, read));
        }

        _lostBytes = true;
        proxy.CountDiscarded(read);
        return (read, default);
    }

    private async Task PumpAsync(Socket from, Socket to, CancellationToken stop)
    {
        var buffer = new byte[ChunkBytes];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, stop);
            if (read == 0)
            {
                // A clean end of one direction is passed on as such; the other direction goes on.
                to.Shutdown(SocketShutdown.Send);
                return;
            }

            switch (proxy.Fault)
            {
                case ProxyFault.Blackhole:
                    _lostBytes = true;
                    proxy.CountDiscarded(read);
                    continue;
                case ProxyFault.Reset:
                    // The first chunk of a stream opened during the fault gets through, then the cut.
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stop);
                    Reset();
                    return;
                case ProxyFault.Delay:
                    await HoldAsync(proxy.Delay, stop);
                    break;
            }

            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stop);
        }
    }

    /// <summary>
    /// Waits at least <paramref name="delay"/> by the monotonic clock: a timer alone can fire a millisecond early
    /// (it counts in the system's coarse ticks), and a delay fault promises a lower bound.
    /// </summary>
    private static async Task HoldAsync(TimeSpan delay, CancellationToken stop)
    {
        var start = Stopwatch.GetTimestamp();
        for (var left = delay; left > TimeSpan.Zero; left = delay - Stopwatch.GetElapsedTime(start))
        {
            await Task.Delay(left + TimeSpan.FromMilliseconds(1), stop);
        }
    }

    /// <summary>Cuts both sides with an RST (linger 0), not a FIN: the peers see "connection reset", as when a link or host dies.</summary>
    public void Reset()
    {
        if (Interlocked.Exchange(ref _reset, 1) != 0)
        {
            return;
        }

        ResetSocket(client);
        if (_upstream is { } upstream)
        {
            ResetSocket(upstream);
        }
    }

    public static void ResetSocket(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
            // Already closed: nothing left to cut.
        }
    }
}
