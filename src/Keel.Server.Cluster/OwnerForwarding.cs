using Keel.Server.Partitions;
using Keel.Server.Postgres;

namespace Keel.Server.Cluster;

/// <summary>
/// Sends a request for a partition served elsewhere to the partition's owner, and rides out a
/// failover on the way: when the owner this node knows is dead (its connection refused) or no
/// longer serves the partition (it says so), the owner is looked up again in the database and the
/// request sent once more — to the new owner, or run here if this node took the partition over —
/// waiting up to three lease times for one to appear. It is sent again only when the first owner
/// certainly did not take it (<see cref="ForwardOutcome.NotTaken"/>); any other failure is 503 as before,
/// since the request may have been accepted and must not run twice.
/// </summary>
internal static class OwnerForwarding
{
    /// <summary>Answer header of a forwarded request refused because the node does not serve its partition (nothing applied).</summary>
    public const string NotServedHeader = "x-keel-partition-not-served";

    public static async Task ForwardToOwnerAsync(HttpContext http, RequestDelegate next, ClusterNode node, HttpClient client, bool ingress, PartitionNotOwnedException notOwned)
    {
        var partition = notOwned.Partition;
        var cancel = http.RequestAborted;
        var deadline = DateTime.UtcNow + node.LeaseTime * 3;
        var retried = false;

        // The lease under which the last owner tried refused the request: wait for a different one.
        PartitionLease? refused = null;

        // This node does not serve the partition: a view that says otherwise is stale, read again.
        if (node.LeaseOf(partition) is not { Owner: { } known } || known == node.Name)
        {
            await node.RefreshIfOlderThanAsync(TimeSpan.Zero, cancel).ConfigureAwait(false);
            refused = node.LeaseOf(partition) is { Owner: { } owner } lease && owner == node.Name ? lease : null;
        }

        while (true)
        {
            var lease = node.LeaseOf(partition);
            var member = lease?.Owner is { } name ? node.View?.Members.FirstOrDefault(m => m.Node == name) : null;
            if (lease is null || member is null || SameLease(lease, refused))
            {
                if (DateTime.UtcNow >= deadline)
                {
                    throw new PartitionUnavailableException(partition, "no node took it over in time");
                }

                // Shared with every request waiting on this node; at most one read per spacing.
                await Task.Delay(ClusterNode.LookupSpacing / 2, cancel).ConfigureAwait(false);
                await node.RefreshIfOlderThanAsync(ClusterNode.LookupSpacing, cancel).ConfigureAwait(false);
                continue;
            }

            if (member.Node == node.Name)
            {
                // Taken over by this node meanwhile: the first attempt applied nothing (it was refused
                // for want of the partition), so it runs here now.
                http.Response.Clear();
                http.Request.Body.Position = 0;
                try
                {
                    await next(http).ConfigureAwait(false);
                    return;
                }
                catch (PartitionNotOwnedException) when (!http.Response.HasStarted && !retried)
                {
                    retried = true;
                    refused = lease;
                    continue;
                }
            }

            var outcome = await SendAsync(http, new Uri(ingress ? member.IngressUrl : member.AdminUrl, http.Request.Path.Value + http.Request.QueryString.Value), client, node.Name, partition).ConfigureAwait(false);
            if (outcome == ForwardOutcome.Answered)
            {
                return;
            }

            if (retried)
            {
                throw new PartitionUnavailableException(partition, $"node {member.Node} does not serve it, nor did the one before");
            }

            retried = true;
            refused = lease;
        }
    }

    private static bool SameLease(PartitionLease lease, PartitionLease? other) => other is not null && lease.Owner == other.Owner && lease.Epoch == other.Epoch;

    /// <summary>Sends the request to one owner: its answer passed on, or <see cref="ForwardOutcome.NotTaken"/> when it certainly did not take it.</summary>
    private static async Task<ForwardOutcome> SendAsync(HttpContext http, Uri target, HttpClient client, string self, int partition)
    {
        var request = http.Request;
        request.Body.Position = 0;
        var hasBody = request.ContentLength > 0 || request.Headers.ContainsKey("Transfer-Encoding");
        var content = new TrackedContent(hasBody ? request.Body : null, request.ContentLength);
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), target) { Content = content };
        RequestForwarding.CopyRequestHeaders(request, forward);
        forward.Headers.TryAddWithoutValidation(RequestForwarding.ForwardedHeader, self);
        HttpResponseMessage answer;
        try
        {
            answer = await client.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (content.RefusedBeforeSending(e))
        {
            return ForwardOutcome.NotTaken;
        }
        catch (HttpRequestException e)
        {
            throw new PartitionUnavailableException(partition, $"its node could not be reached ({e.Message})", e);
        }

        if (answer.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && answer.Headers.Contains(NotServedHeader))
        {
            answer.Dispose();
            return ForwardOutcome.NotTaken;
        }

        await RequestForwarding.CopyAnswerAsync(http, answer).ConfigureAwait(false);
        return ForwardOutcome.Answered;
    }

    /// <summary>
    /// At the owner end: a forwarded request for a partition this node does not serve (any more) was
    /// refused before anything was applied; saying so lets the forwarding node send it on safely.
    /// </summary>
    public static async Task AnswerNotServedAsync(HttpContext http, PartitionNotOwnedException e)
    {
        http.Response.Clear();
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = "5";
        http.Response.Headers[NotServedHeader] = e.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(new System.Text.Json.Nodes.JsonObject { ["code"] = 503, ["message"] = e.Message }.ToJsonString(), http.RequestAborted).ConfigureAwait(false);
    }
}
