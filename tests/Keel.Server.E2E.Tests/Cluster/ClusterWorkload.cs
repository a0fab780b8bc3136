using System.Diagnostics;
using System.Net;

namespace Keel.Server.E2E.Tests.Cluster;

/// <summary>
/// A mixed load entering at every node of a cluster, and the checks that nothing was lost or done
/// twice: counter adds with idempotency keys (retried on the next node when the outcome is unknown),
/// ordered one-way sends to one list, delayed sends and workflows waiting on a promise.
/// </summary>
internal sealed class ClusterWorkload(KeelCluster cluster)
{
    public const int Counters = 12;
    public const int Calls = 240;
    public const int DelayedSends = 8;
    public const int Appends = 30;
    public const int Workflows = 4;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private readonly HashSet<int> _down = [];

    /// <summary>A prefix unique to this workload, for keys of its own.</summary>
    public string Run => _run;

    /// <summary>Clients stop entering at node <paramref name="index"/> (it is being killed or stopped).</summary>
    public void MarkDown(int index)
    {
        lock (_down)
        {
            _down.Add(index);
        }
    }

    /// <summary>Clients enter at node <paramref name="index"/> again.</summary>
    public void MarkUp(int index)
    {
        lock (_down)
        {
            _down.Remove(index);
        }
    }

    public async Task StartDelayedSendsAndWorkflowsAsync()
    {
        for (var i = 0; i < DelayedSends; i++)
        {
            await SendUntilDoneAsync($"/Counter/{_run}-delayed/add/send?delay=4s", 1, $"{_run}-delayed-{i}", first: i);
        }

        for (var i = 0; i < Workflows; i++)
        {
            await SendUntilDoneAsync($"/BlockAndWaitWorkflow/{_run}-wf-{i}/run/send", $"input-{i}", null, first: i);
        }
    }

    public Task RunCallsAsync(Action onAcknowledged) =>
        Parallel.ForEachAsync(Enumerable.Range(0, Calls), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (i, _) =>
        {
            await CallUntilDoneAsync($"/Counter/{_run}-c{i % Counters}/add", 1, $"{_run}-call-{i}", first: i);
            onAcknowledged();
        });

    /// <summary>One send after the other to one list: the list must come out in send order.</summary>
    public async Task RunOrderedAppendsAsync()
    {
        for (var i = 0; i < Appends; i++)
        {
            await SendUntilDoneAsync($"/ListObject/{_run}-list/append/send", i, $"{_run}-append-{i}", first: i);
        }
    }

    public async Task AssertEverythingRanExactlyOnceAsync()
    {
        using var ingress = new IngressClient(cluster.Nodes[0].IngressUrl);
        var total = 0;
        for (var k = 0; k < Counters; k++)
        {
            total += (await CallUntilDoneAsync($"/Counter/{_run}-c{k}/get", null, null, first: k)).Json.GetInt32();
        }

        Assert.Equal(Calls, total);
        for (var k = 0; k < Counters; k++)
        {
            Assert.Equal(Calls / Counters, (await CallUntilDoneAsync($"/Counter/{_run}-c{k}/get", null, null, first: k)).Json.GetInt32());
        }

        await Eventually.UntilAsync(async () => (await CallUntilDoneAsync($"/Counter/{_run}-delayed/get", null, null, first: 0)).Json.GetInt32() >= DelayedSends,
            TimeSpan.FromSeconds(60), "every delayed send to fire");
        Assert.Equal(DelayedSends, (await CallUntilDoneAsync($"/Counter/{_run}-delayed/get", null, null, first: 0)).Json.GetInt32());

        for (var i = 0; i < Workflows; i++)
        {
            await CallUntilDoneAsync($"/BlockAndWaitWorkflow/{_run}-wf-{i}/unblock", $"output-{i}", null, first: i);
            var output = await CallUntilDoneAsync($"/restate/workflow/BlockAndWaitWorkflow/{_run}-wf-{i}/attach", null, null, first: i, get: true);
            Assert.Equal($"output-{i}", output.Json.GetString());
        }

        await Eventually.UntilAsync(async () => (await CallUntilDoneAsync($"/ListObject/{_run}-list/get", null, null, first: 0)).Json.GetArrayLength() == Appends,
            TimeSpan.FromSeconds(60), "every append to run");
        Assert.Equal(Enumerable.Range(0, Appends), (await CallUntilDoneAsync($"/ListObject/{_run}-list/get", null, null, first: 0)).Json.EnumerateArray().Select(e => e.GetInt32()));
    }

    private Task SendUntilDoneAsync(string path, object body, string? idempotencyKey, int first) =>
        CallUntilDoneAsync(path, body, idempotencyKey, first);

    /// <summary>
    /// Enters at node <paramref name="first"/> mod 3 and, when a node is down or answers "try again"
    /// (429/503, connection refused, cut off), tries the next one with the same idempotency key — what a
    /// client does when the outcome is unknown.
    /// </summary>
    public async Task<IngressResponse> CallUntilDoneAsync(string path, object? body, string? idempotencyKey, int first, bool get = false)
    {
        var deadline = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            var node = (first + attempt) % cluster.Nodes.Count;
            bool down;
            lock (_down)
            {
                down = _down.Contains(node);
            }

            if (!down)
            {
                using var ingress = new IngressClient(cluster.Nodes[node].IngressUrl);
                try
                {
                    var answer = get ? await ingress.GetAsync(path) : await ingress.CallAsync(path, body, idempotencyKey);
                    if (answer.IsSuccess)
                    {
                        return answer;
                    }

                    // A node in the middle of a clean stop answers 503 (the outcome is unknown): retried with
                    // the same idempotency key, and the checks below prove nothing was lost or doubled. Any
                    // other error fails the test.
                    if (answer.Status is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway))
                    {
                        throw new InvalidOperationException($"{path} answered {(int)answer.Status}: {answer.Body}");
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Outcome unknown: the same idempotency key on the next node.
                }
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new TimeoutException($"{path} did not succeed within 120 s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
