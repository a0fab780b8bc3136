using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Keel.Protocol.Ids;
using Keel.Server.Deadlocks;

namespace Keel.Server.Cluster.Deadlocks;

/// <summary>
/// Deadlocks across cluster nodes. Each node's wait-for graph holds the waits of the partitions it serves, and finds
/// on its own every cycle among them. When a new wait's walk reaches an invocation served by another node
/// (<see cref="WaitForGraph.Escaped"/>), this detector, a moment later and only if that wait still stands (a
/// call answered at once never costs a look), reads the other live nodes' waits over the internal listener
/// (<c>GET /internal/v1/waits</c>: their in-memory edges, never the store), merges them with this node's, and
/// walks from the waiting invocation back to itself. A cycle found is reported here (Warning, counter, the
/// <c>fail</c> policy) and told to the other nodes, which list it too, so <c>GET /deadlocks</c> on any node
/// shows it. While such cycles are listed, each node reads the others' waits once a second to drop the ones
/// broken elsewhere (its own waits drop them at once).
/// </summary>
internal sealed partial class ClusterDeadlocks : IDisposable
{
    // Long enough that a call answered at once has left the graph; short enough for detection within a second.
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);
    private readonly KeelRuntime _runtime;
    private readonly ClusterNode _node;
    private readonly byte[] _secret;
    private readonly ILogger _logger;
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) }) { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Lock _gate = new();
    private readonly HashSet<string> _pending = [];
    private readonly CancellationTokenSource _stop = new();
    private bool _scheduled;

    public ClusterDeadlocks(KeelRuntime runtime, ClusterNode node, byte[] secret, ILogger logger)
    {
        _runtime = runtime;
        _node = node;
        _secret = secret;
        _logger = logger;
        runtime.Waits.Escaped += OnEscaped;
        runtime.RemoteFailDeadlocked = (id, message) => _ = FailRemoteAsync(id, message);
    }

    /// <summary>This node's waits, as <c>GET /internal/v1/waits</c> answers them.</summary>
    public JsonObject LocalWaits() => DeadlockWire.Edges(_runtime.Waits.Edges());

    /// <summary>Another node found a cycle through this one's invocations: list it (it reported it) and watch it.</summary>
    public void Told(IReadOnlyList<CycleMember> members)
    {
        if (_runtime.Waits.AddAcrossNodes(members, announce: false))
        {
            Schedule(Recheck);
        }
    }

    private void OnEscaped(string source)
    {
        lock (_gate)
        {
            _pending.Add(source);
        }

        Schedule(Settle);
    }

    private void Schedule(TimeSpan after)
    {
        lock (_gate)
        {
            if (_scheduled)
            {
                return;
            }

            _scheduled = true;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(after, _stop.Token).ConfigureAwait(false);
                await RoundAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed round must not end the detector: the next wait or recheck runs another.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogRoundFailed(_logger, e);
            }
            finally
            {
                lock (_gate)
                {
                    _scheduled = false;
                }
            }

            if (_runtime.Waits.CyclesAcrossNodes.Count > 0 || HasPending())
            {
                Schedule(HasPending() ? Settle : Recheck);
            }
        });
    }

    private bool HasPending()
    {
        lock (_gate)
        {
            return _pending.Count > 0;
        }
    }

    /// <summary>One look: the pending escaped waits that still stand, and the listed cycles across nodes.</summary>
    private async Task RoundAsync()
    {
        List<string> sources;
        lock (_gate)
        {
            sources = [.. _pending.Where(_runtime.Waits.StillWaits)];
            _pending.Clear();
        }

        var listed = _runtime.Waits.CyclesAcrossNodes;
        if (sources.Count == 0 && listed.Count == 0)
        {
            return;
        }

        var (edges, complete) = await ClusterEdgesAsync().ConfigureAwait(false);
        var merged = new MergedWaits(edges);
        foreach (var source in sources)
        {
            if (merged.CycleThrough(source) is { } members && _runtime.Waits.AddAcrossNodes(members, announce: true))
            {
                await TellOthersAsync(members).ConfigureAwait(false);
            }
        }

        // A node that could not be read may hold the waits: keep the cycles until every node answered.
        if (complete)
        {
            foreach (var cycle in listed.Where(c => !merged.Stands(c)))
            {
                _runtime.Waits.DropAcrossNodes(cycle);
            }
        }
    }

    /// <summary>This node's waits and every other live node's; false when one of them could not be read.</summary>
    private async Task<(List<WaitEdge> Edges, bool Complete)> ClusterEdgesAsync()
    {
        var edges = new List<WaitEdge>(_runtime.Waits.Edges());
        var complete = true;
        var reads = Peers().Select(async peer =>
        {
            try
            {
                using var request = Signed(HttpMethod.Get, new Uri(peer, "internal/v1/waits"), []);
                using var response = await _http.SendAsync(request, _stop.Token).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
                return DeadlockWire.ParseEdges(JsonNode.Parse(await response.Content.ReadAsStringAsync(_stop.Token).ConfigureAwait(false)));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FormatException or System.Text.Json.JsonException)
            {
                LogPeerUnreadable(_logger, peer, e.Message);
                return null;
            }
        }).ToList();
        foreach (var read in reads)
        {
            if (await read.ConfigureAwait(false) is { } theirs)
            {
                edges.AddRange(theirs);
            }
            else
            {
                complete = false;
            }
        }

        return (edges, complete);
    }

    private async Task TellOthersAsync(IReadOnlyList<CycleMember> members)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(DeadlockWire.Cycle(members).ToJsonString());
        foreach (var peer in Peers())
        {
            await PostAsync(new Uri(peer, "internal/v1/deadlocks"), body).ConfigureAwait(false);
        }
    }

    /// <summary>The <c>fail</c> policy's failure for a queued member served by another node: sent to that node.</summary>
    private async Task FailRemoteAsync(InvocationId id, string message)
    {
        if (_node.OwnerOf(_runtime.Map.PartitionOf(id.PartitionKey)) is not { InternalUrl: { } owner } member || member.Node == _node.Name)
        {
            LogFailNotRouted(_logger, id.ToString());
            return;
        }

        var body = System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["id"] = id.ToString(), ["message"] = message }.ToJsonString());
        await PostAsync(new Uri(owner, "internal/v1/deadlocks/fail"), body).ConfigureAwait(false);
    }

    private async Task PostAsync(Uri url, byte[] body)
    {
        try
        {
            using var request = Signed(HttpMethod.Post, url, body);
            using var response = await _http.SendAsync(request, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            LogPeerUnreadable(_logger, url, e.Message);
        }
    }

    private HttpRequestMessage Signed(HttpMethod method, Uri url, byte[] body)
    {
        var request = new HttpRequestMessage(method, url);
        if (method == HttpMethod.Post)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        Security.InternalRequestSignature.Sign(request, _secret, _node.Name, TimeProvider.System.GetUtcNow(), body);
        return request;
    }

    /// <summary>The internal listeners of the other live nodes.</summary>
    private List<Uri> Peers() => _node.View is not { } view ? [] :
        [.. view.Members.Where(m => m.Node != _node.Name && m.InternalUrl is not null && view.Now - m.HeartbeatAt <= _node.LeaseTime).Select(m => m.InternalUrl!)];

    public void Dispose()
    {
        _runtime.Waits.Escaped -= OnEscaped;
        _stop.Cancel();
        _stop.Dispose();
        _http.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deadlock detection could not read node {Node}'s waits ({Reason}); its cycles are kept until it answers")]
    private static partial void LogPeerUnreadable(ILogger logger, Uri node, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A look for deadlocks across nodes failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deadlock policy fail: the queued call {Id} is served by no node now; the cycle is only reported")]
    private static partial void LogFailNotRouted(ILogger logger, string id);
}
