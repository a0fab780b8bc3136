using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Keel.Chaos.Network;
using Keel.TestSupport;

namespace Keel.Chaos.Tests.Network;

public sealed class TcpProxyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Bytes_pass_both_ways_unchanged()
    {
        await using var echo = new EchoServer();
        await using var proxy = TcpProxy.ToLoopback(echo.Port);
        using var client = await ConnectAsync(proxy);
        var sent = new byte[1 << 20];
        new Random(19).NextBytes(sent);

        var sending = client.SendAsync(sent, SocketFlags.None);
        var received = await ReceiveExactlyAsync(client, sent.Length);
        await sending;

        Assert.Equal(sent, received);
        Assert.Equal(sent.Length, echo.ReceivedBytes);
    }

    [Fact]
    public async Task Drop_new_connections_resets_new_ones_and_leaves_open_ones_working()
    {
        await using var echo = new EchoServer();
        await using var proxy = TcpProxy.ToLoopback(echo.Port);
        using var open = await ConnectAsync(proxy);
        await AssertEchoesAsync(open, 1);

        proxy.Inject(ProxyFault.DropNewConnections);
        await AssertDroppedAsync(proxy);

        await AssertEchoesAsync(open, 2);
        Assert.Equal(1, echo.AcceptedConnections);

        proxy.Heal();
        using var later = await ConnectAsync(proxy);
        await AssertEchoesAsync(later, 3);
    }

    [Fact]
    public async Task Delay_holds_every_chunk_back_for_the_delay()
    {
        await using var echo = new EchoServer();
        await using var proxy = TcpProxy.ToLoopback(echo.Port);
        using var client = await ConnectAsync(proxy);
        await AssertEchoesAsync(client, 1);

        proxy.Inject(ProxyFault.Delay, TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        await AssertEchoesAsync(client, 2);

        // Once there and once back: at least twice the delay (a lower bound, so no machine is too slow for it).
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(600), $"the round trip took {watch.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Reset_cuts_open_streams_with_an_rst_and_new_ones_after_their_first_chunk()
    {
        await using var echo = new EchoServer();
        await using var proxy = TcpProxy.ToLoopback(echo.Port);
        using var open = await ConnectAsync(proxy);
        await AssertEchoesAsync(open, 1);

        proxy.Inject(ProxyFault.Reset);

        var error = await Assert.ThrowsAsync<SocketException>(async () => await open.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(Patience));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        using var fresh = await ConnectAsync(proxy);
        await fresh.SendAsync(new byte[] { 42 }, SocketFlags.None);
        await AssertCutAsync(fresh);
        // The first chunk did get through to the target: the stream was cut in its middle, not before it.
        await Eventually.UntilAsync(() => Task.FromResult(echo.ReceivedBytes >= 2), Patience, "the fresh stream's first byte at the target");

        proxy.Heal();
        using var later = await ConnectAsync(proxy);
        await AssertEchoesAsync(later, 3);
    }

    [Fact]
    public async Task Blackhole_reads_and_forwards_nothing_then_the_heal_resets_the_broken_streams()
    {
        await using var echo = new EchoServer();
        await using var proxy = TcpProxy.ToLoopback(echo.Port);
        using var open = await ConnectAsync(proxy);
        await AssertEchoesAsync(open, 1);

        proxy.Inject(ProxyFault.Blackhole);
        await open.SendAsync(new byte[] { 2, 2, 2 }, SocketFlags.None);
        using var fresh = await ConnectAsync(proxy);
        await fresh.SendAsync(new byte[] { 3, 3 }, SocketFlags.None);

        // The proxy took all five bytes off the wire and threw them away; the target saw none of them nor the new connection.
        await Eventually.UntilAsync(() => Task.FromResult(proxy.DiscardedBytes == 5), Patience, "the proxy to swallow five bytes");
        Assert.Equal(1, echo.ReceivedBytes);
        Assert.Equal(1, echo.AcceptedConnections);
        Assert.Equal(2, proxy.OpenConnections);

        proxy.Heal();
        await AssertCutAsync(open);
        await AssertCutAsync(fresh);
        using var later = await ConnectAsync(proxy);
        await AssertEchoesAsync(later, 4);
    }

    [Fact]
    public async Task A_connection_accepted_in_a_blackhole_that_sent_nothing_yet_works_after_the_heal()
    {
        await using var echo = new EchoServer();
        await using var proxy = TcpProxy.ToLoopback(echo.Port);
        proxy.Inject(ProxyFault.Blackhole);
        using var quiet = await ConnectAsync(proxy);
        await Eventually.UntilAsync(() => Task.FromResult(proxy.OpenConnections == 1), Patience, "the proxy to accept the connection");

        proxy.Heal();

        await AssertEchoesAsync(quiet, 5);
    }

    private static async Task<Socket> ConnectAsync(TcpProxy proxy)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, proxy.Port));
        return socket;
    }

    private static async Task AssertEchoesAsync(Socket socket, byte value)
    {
        await socket.SendAsync(new[] { value }, SocketFlags.None);
        Assert.Equal([value], await ReceiveExactlyAsync(socket, 1));
    }

    /// <summary>A new connection is cut at once: the reset may come back before the connect has even completed.</summary>
    private static async Task AssertDroppedAsync(TcpProxy proxy)
    {
        Socket socket;
        try
        {
            socket = await ConnectAsync(proxy);
        }
        catch (SocketException e)
        {
            Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
            return;
        }

        using (socket)
        {
            await AssertCutAsync(socket);
        }
    }

    /// <summary>The connection ends at the client: reset, or closed (bytes that were under way before the cut may still arrive).</summary>
    private static async Task AssertCutAsync(Socket socket)
    {
        try
        {
            while (await socket.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(Patience) > 0)
            {
            }
        }
        catch (SocketException e)
        {
            Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        }
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var total = 0;
        while (total < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None).AsTask().WaitAsync(Patience);
            Assert.NotEqual(0, read);
            total += read;
        }

        return buffer;
    }
}
