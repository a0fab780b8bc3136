using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Keel.Server.Partitions;

namespace Keel.Server.Cluster;

/// <summary>
/// Sends hand-overs (outbox deliveries and acknowledgements) to partitions served by other nodes.
/// One sender per target partition keeps them in order and batches whatever queued up meanwhile into
/// one request. A failed request drops its batch: the source's outbox redelivers what was not
/// acknowledged, and the target applies hand-overs only in order, so nothing is lost or doubled.
/// </summary>
internal sealed partial class HandOverSender : IDisposable
{
    private const int MaxBatch = 256;
    private readonly ClusterNode _node;
    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, TargetQueue> _targets = new();

    private readonly byte[] _secret;
    private readonly TimeProvider _clock;

    public HandOverSender(ClusterNode node, byte[] secret, TimeProvider clock, ILogger logger)
    {
        _node = node;
        _secret = secret;
        _clock = clock;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) }) { Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>Queues a hand-over for a partition served elsewhere (never blocks the partition's commit thread).</summary>
    public void Send(int partition, PartitionCommand command)
    {
        var target = _targets.GetOrAdd(partition, p => new TargetQueue(p));
        target.Pending.Enqueue(command);
        if (Interlocked.CompareExchange(ref target.Draining, 1, 0) == 0)
        {
            _ = Task.Run(() => DrainAsync(target));
        }
    }

    private async Task DrainAsync(TargetQueue target)
    {
        while (true)
        {
            var batch = new List<PartitionCommand>();
            while (batch.Count < MaxBatch && target.Pending.TryDequeue(out var command))
            {
                batch.Add(command);
            }

            if (batch.Count > 0)
            {
                await SendBatchAsync(target.Partition, batch).ConfigureAwait(false);
                continue;
            }

            Volatile.Write(ref target.Draining, 0);
            // A command queued after the last dequeue but before the flag was cleared must not wait for the next one.
            if (target.Pending.IsEmpty || Interlocked.CompareExchange(ref target.Draining, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private async Task SendBatchAsync(int partition, List<PartitionCommand> batch)
    {
        if (_node.OwnerOf(partition) is not { } owner || owner.Node == _node.Name)
        {
            // Served nowhere right now (or by this node a moment ago): redelivery brings it once a node serves it.
            return;
        }

        try
        {
            if (owner.InternalUrl is not { } internalUrl)
            {
                // A node of an older release (no internal listener): it cannot check our signature;
                // its hand-overs wait until it is upgraded (redelivery sends them then).
                LogRefused(_logger, partition, owner.Node, 0);
                return;
            }

            var body = HandOverCodec.Encode(partition, batch);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(internalUrl, $"internal/v1/partitions/{partition}/handovers"))
            {
                Content = new ByteArrayContent(body),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            Security.InternalRequestSignature.Sign(request, _secret, _node.Name, _clock.GetUtcNow(), body);
            using var response = await _http.SendAsync(request).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                LogRefused(_logger, partition, owner.Node, (int)response.StatusCode);
                _node.Refresh();
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Npgsql.NpgsqlException)
        {
            LogUnreachable(_logger, partition, owner.Node, e.Message);
        }
    }

    public void Dispose() => _http.Dispose();

    private sealed class TargetQueue(int partition)
    {
        public int Partition { get; } = partition;

        public ConcurrentQueue<PartitionCommand> Pending { get; } = new();

#pragma warning disable CA1051 // Interlocked needs a field.
        public int Draining;
#pragma warning restore CA1051
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Node {Node} refused hand-overs for partition {Partition} ({Status}); they are redelivered")]
    private static partial void LogRefused(ILogger logger, int partition, string node, int status);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Hand-overs for partition {Partition} could not reach node {Node} ({Reason}); they are redelivered")]
    private static partial void LogUnreachable(ILogger logger, int partition, string node, string reason);
}
