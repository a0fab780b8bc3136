using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Keel.Chaos.Network;

/// <summary>
/// A small TCP forwarder put between two parties of the campaign (server and endpoint, node and database) so a
/// nemesis can hurt the link between them: drop new connections, delay, reset streams mid-way, blackhole. It
/// listens on a loopback port of its own; the party that connects is pointed at <see cref="Port"/> instead of
/// the target's. <see cref="Heal"/> lets traffic flow again.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<ProxyConnection, byte> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile ProxyFault _fault;
    private long _discarded;

    private TcpProxy(IPEndPoint listen, IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(listen);
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    /// <summary>The port it listens on (on <see cref="Address"/>).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IPAddress Address => ((IPEndPoint)_listener.LocalEndpoint).Address;

    /// <summary>The fault in force (<see cref="ProxyFault.None"/> when healed).</summary>
    public ProxyFault Fault => _fault;

    /// <summary>How long each chunk waits under <see cref="ProxyFault.Delay"/>.</summary>
    public TimeSpan Delay { get; private set; }

    /// <summary>Connections open now.</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>Bytes read and thrown away under <see cref="ProxyFault.Blackhole"/> so far.</summary>
    public long DiscardedBytes => Interlocked.Read(ref _discarded);

    /// <summary>Forwards <paramref name="listen"/> (a free loopback port by default) to <paramref name="target"/>.</summary>
    public static TcpProxy Start(IPEndPoint target, IPEndPoint? listen = null) =>
        new(listen ?? new IPEndPoint(IPAddress.Loopback, 0), target);

    /// <summary>Forwards a free loopback port to 127.0.0.1:<paramref name="targetPort"/>.</summary>
    public static TcpProxy ToLoopback(int targetPort) => Start(new IPEndPoint(IPAddress.Loopback, targetPort));

    /// <summary>Puts a fault in force (replacing any other); <paramref name="delay"/> only counts for <see cref="ProxyFault.Delay"/>.</summary>
    public void Inject(ProxyFault fault, TimeSpan delay = default)
    {
        Delay = delay;
        _fault = fault;
        if (fault == ProxyFault.Reset)
        {
            foreach (var connection in _connections.Keys)
            {
                connection.Reset();
            }
        }
    }

    /// <summary>Traffic flows again; connections that lost bytes to a blackhole are reset (their streams are broken for good).</summary>
    public void Heal()
    {
        _fault = ProxyFault.None;
        foreach (var connection in _connections.Keys.Where(c => c.LostBytes))
        {
            connection.Reset();
        }
    }

    internal void CountDiscarded(int bytes) => Interlocked.Add(ref _discarded, bytes);

    internal void Forget(ProxyConnection connection) => _connections.TryRemove(connection, out _);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (_fault == ProxyFault.DropNewConnections)
            {
                ProxyConnection.ResetSocket(client);
                continue;
            }

            var connection = new ProxyConnection(this, client);
            _connections[connection] = 0;
            // Runs on its own; it removes itself when both directions are done.
            _ = connection.RunAsync(_target, _stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        foreach (var connection in _connections.Keys)
        {
            connection.Reset();
        }

        _stop.Dispose();
    }
}
