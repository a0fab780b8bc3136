using System.Net;
using System.Threading.Channels;

namespace Keel.Server.Invoker;

/// <summary>
/// The request body of one attempt: the Start message and the journal, then (bidi streams) each
/// frame pushed later, flushed as it comes. The body ends when the channel completes.
/// </summary>
internal sealed class InvocationRequestContent(byte[] replay, ChannelReader<byte[]> pushed, bool streaming) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(replay).ConfigureAwait(false);
        await stream.FlushAsync().ConfigureAwait(false);
        if (!streaming)
        {
            return;
        }

        await foreach (var frame in pushed.ReadAllAsync().ConfigureAwait(false))
        {
            await stream.WriteAsync(frame).ConfigureAwait(false);
            await stream.FlushAsync().ConfigureAwait(false);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
