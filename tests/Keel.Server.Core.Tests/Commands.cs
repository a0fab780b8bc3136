using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests;

/// <summary>Commands as the runtime builds them: the id of a new request is decided before Apply.</summary>
internal static class Commands
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    /// <summary>As the runtime builds it, including whether the id was drawn at random (its status read is skipped then).</summary>
    public static PartitionCommand.Submit Submit(InvocationRequest request, int partitions = 1, int partition = 0) =>
        new(request, IdFor(request, partitions, partition), new object(), InvocationIds.IsDrawnAtRandom(request, KindOf(request)));

    private static Protocol.Manifest.HandlerType? KindOf(InvocationRequest request) =>
        new FakeSchema().TryGetHandler(request.Service, request.Handler, out _, out var handler) ? handler.Kind : null;

    public static InvocationId IdFor(InvocationRequest request, int partitions = 1, int partition = 0)
    {
        var schema = new FakeSchema();
        var kind = schema.TryGetHandler(request.Service, request.Handler, out _, out var handler) ? handler.Kind : (Protocol.Manifest.HandlerType?)null;
        return InvocationIds.ForRequest(request, kind, new PartitionMap(partitions), partition, Now);
    }
}
