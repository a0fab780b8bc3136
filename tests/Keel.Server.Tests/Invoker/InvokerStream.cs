using System.Runtime.CompilerServices;
using Keel.Protocol.Framing;

namespace Keel.Server.Tests.Invoker;

/// <summary>What a deployment with no SDK behind it (<see cref="FakeDeployment"/>, Fuzz/FuzzDeployment) reads of an attempt.</summary>
internal static class InvokerStream
{
    /// <summary>The frames the invoker writes on the request body, each as it completes, until the invoker ends the stream.</summary>
    public static async IAsyncEnumerable<Frame> ReadFramesAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var decoder = new FrameDecoder();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            decoder.Push(buffer.AsSpan(0, read));
            while (decoder.TryRead(out var frame))
            {
                // The decoder's payload may point into its buffer, which the next read overwrites.
                yield return new Frame(frame.Header, frame.Payload.ToArray());
            }
        }
    }
}
