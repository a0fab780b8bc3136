using Keel.Server.Hosting.Listeners;
using Keel.Server.Partitions;

namespace Keel.Server.Cluster;

/// <summary>
/// Any node answers: a request for a partition served by another node is sent on to that node (its
/// ingress or admin port, whichever the request came in on) and its answer passed back unchanged
/// (<see cref="OwnerForwarding"/>, which also rides out a dead owner). The body is buffered so it can
/// be sent again; a forwarded request is never forwarded a second time by the node it reaches: an
/// owner that moved meanwhile answers 503 with <see cref="OwnerForwarding.NotServedHeader"/>, and the
/// node the request entered at looks the owner up again.
/// </summary>
internal static class RequestForwarding
{
    public const string ForwardedHeader = "x-keel-forwarded-by";

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer",
    };

    public static void UseClusterForwarding(this WebApplication app, ClusterHandle cluster, HttpClient client) => app.Use(async (http, next) =>
    {
        // Only client requests follow their partition; node-to-node requests are answered where they land.
        var listener = http.ListenerRole();
        if (cluster.Node is not { } node || listener is not (ListenerRole.Ingress or ListenerRole.Admin))
        {
            await next(http).ConfigureAwait(false);
            return;
        }

        if (http.Request.Headers.ContainsKey(ForwardedHeader))
        {
            try
            {
                await next(http).ConfigureAwait(false);
            }
            catch (PartitionNotOwnedException e) when (!http.Response.HasStarted)
            {
                await OwnerForwarding.AnswerNotServedAsync(http, e).ConfigureAwait(false);
            }

            return;
        }

        http.Request.EnableBuffering();
        try
        {
            await next(http).ConfigureAwait(false);
        }
        catch (PartitionNotOwnedException e) when (!http.Response.HasStarted)
        {
            await OwnerForwarding.ForwardToOwnerAsync(http, next, node, client, listener == ListenerRole.Ingress, e).ConfigureAwait(false);
        }
        catch (InvocationMovedException moved) when (!http.Response.HasStarted && listener == ListenerRole.Ingress && cluster.PartitionOf(moved.Id) is { } partition)
        {
            await FollowAsync(http, node, client, moved, partition).ConfigureAwait(false);
        }
    });

    /// <summary>
    /// A caller waited here for an invocation whose partition moved to another node (a rebalance, a
    /// lost lease): wait until some node serves the partition again, then attach to the invocation
    /// there and pass its result back, as if nothing had moved. Sending the request again instead
    /// would run it twice. No owner within a few lease times: 503 with the invocation's id.
    /// </summary>
    private static async Task FollowAsync(HttpContext http, ClusterNode node, HttpClient client, InvocationMovedException moved, int partition)
    {
        var deadline = DateTime.UtcNow + node.LeaseTime * 3;
        while (true)
        {
            try
            {
                node.Refresh();
            }
            catch (System.Data.Common.DbException) when (DateTime.UtcNow < deadline)
            {
                // The database is slow or restarting: the owner we last read is still the best guess.
            }

            if (node.OwnerOf(partition) is { } owner)
            {
                using var attach = new HttpRequestMessage(HttpMethod.Get, new Uri(owner.IngressUrl, $"restate/invocation/{moved.Id}/attach"));
                attach.Headers.TryAddWithoutValidation(ForwardedHeader, node.Name);
                HttpResponseMessage answer;
                try
                {
                    answer = await client.SendAsync(attach, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted).ConfigureAwait(false);
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250), http.RequestAborted).ConfigureAwait(false);
                    continue;
                }

                if (answer.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
                {
                    // Still moving (the owner we read has just let go too): look again.
                    answer.Dispose();
                    await Task.Delay(TimeSpan.FromMilliseconds(250), http.RequestAborted).ConfigureAwait(false);
                    continue;
                }

                await CopyAnswerAsync(http, answer, moved.Id.ToString()).ConfigureAwait(false);
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw moved;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), http.RequestAborted).ConfigureAwait(false);
        }
    }

    public static void CopyRequestHeaders(HttpRequest request, HttpRequestMessage forward)
    {
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
    }

    public static async Task CopyAnswerAsync(HttpContext http, HttpResponseMessage answer, string? invocationId = null)
    {
        using (answer)
        {
            http.Response.StatusCode = (int)answer.StatusCode;
            foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                {
                    http.Response.Headers[name] = values.ToArray();
                }
            }

            if (invocationId is not null)
            {
                http.Response.Headers["x-restate-id"] = invocationId;
            }

            await answer.Content.CopyToAsync(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
        }
    }
}
