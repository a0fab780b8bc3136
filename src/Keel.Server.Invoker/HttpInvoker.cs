using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Invoker;

/// <summary>
/// Runs attempts over HTTP: h2c bidirectional streams, or HTTP/1.1 request-response. At most
/// <c>concurrencyLimit</c> attempts run at once (default 1000, as restate-server's invoker);
/// the others wait their turn in arrival order, so a burst of work queues here instead of opening
/// thousands of streams to a deployment that cannot serve them.
/// </summary>
public sealed class HttpInvoker(TimeProvider time, ILogger<HttpInvoker> logger, int concurrencyLimit = 1000) : IInvoker, IDisposable
{
    private readonly SemaphoreSlim _slots = new(concurrencyLimit, concurrencyLimit);
    private int _waiting;

    public int Backlog => Volatile.Read(ref _waiting);

    private readonly ConcurrentDictionary<InvocationId, AttemptRunner> _attempts = new();
    private readonly ConcurrentDictionary<string, HttpClient> _clients = new();

    /// <summary>Where effects go; set once the runtime exists (the runtime needs the invoker first).</summary>
    public IInvokerEffectSink? Sink { get; set; }

    /// <summary>Counts running attempts as the runtime's work in flight (the runtime's own counter, set with <see cref="Sink"/>).</summary>
    public RuntimeActivity Activity { get; set; } = new();

    /// <summary>Signs each attempt's request (request identity); unsigned by default.</summary>
    public Identity.RequestSigner Signer { get; init; } = Identity.RequestSigner.Unsigned;

    public void Start(InvokeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var client = _clients.GetOrAdd(request.Deployment.Id + "/" + request.Deployment.HttpVersion, static (_, deployment) => CreateClient(deployment), request.Deployment);

        // With a free slot the attempt starts with what the partition read; without one it waits
        // holding its ids only, and reads its journal and state again when its turn comes.
        var slotTaken = _slots.Wait(0);
        var reload = slotTaken ? null : request.Reload;
        var runner = new AttemptRunner(reload is null ? request : request.WithoutReplay(), client, Sink!, time, logger, Signer);
        if (_attempts.TryGetValue(request.Id, out var previous))
        {
            previous.Abort();
        }

        _attempts[request.Id] = runner;
        Launch(request.Id, runner, slotTaken, reload);
    }

    /// <summary>Runs the attempt in the background (a method of its own so that its closure cannot hold the request's journal).</summary>
    private void Launch(InvocationId id, AttemptRunner runner, bool slotTaken, Func<CancellationToken, Task<AttemptInputs?>>? reload)
    {
        // Begun here, before the partition's batch ends; ended after the attempt reported its last effect.
        var activity = Activity;
        activity.Begin();
        _ = Task.Run(async () =>
        {
            if (!slotTaken)
            {
                Interlocked.Increment(ref _waiting);
                await _slots.WaitAsync().ConfigureAwait(false);
                Interlocked.Decrement(ref _waiting);
            }

            try
            {
                if (!runner.IsAborted && (reload is null || await runner.ReloadAsync(reload).ConfigureAwait(false)))
                {
                    await runner.RunAsync().ConfigureAwait(false);
                }
            }
#pragma warning disable CA1031 // Whatever went wrong, the partition must hear that the attempt ended, or the invocation would wait forever.
            catch (Exception e)
#pragma warning restore CA1031
            {
                runner.ReportCrash(e);
            }
            finally
            {
                _slots.Release();
                _attempts.TryRemove(KeyValuePair.Create(id, runner));
                activity.End();
            }
        });
    }

    public void Push(InvocationId id, int attempt, ReadOnlyMemory<byte> encodedFrame)
    {
        if (_attempts.TryGetValue(id, out var runner) && runner.Attempt == attempt)
        {
            runner.Push(encodedFrame.ToArray());
        }
    }

    public void Abort(InvocationId id, int attempt)
    {
        if (_attempts.TryGetValue(id, out var runner) && runner.Attempt == attempt)
        {
            runner.Abort();
        }
    }

    internal static HttpClient CreateClient(DeploymentInfo deployment)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),

            // The attempt sets traceparent itself (its own span or the invocation's stored trace);
            // HttpClient's propagation would overwrite it with whatever activity happens to be current.
            ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        };
        return new HttpClient(handler)
        {
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = deployment.HttpVersion == DeploymentHttpVersion.Http11 ? HttpVersion.Version11 : HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    public void Dispose()
    {
        foreach (var runner in _attempts.Values)
        {
            runner.Abort();
        }

        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        // _slots is not disposed: attempts still finishing release their slot after this.
    }
}
