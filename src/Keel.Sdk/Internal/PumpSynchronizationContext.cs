using System.Threading.Channels;

namespace Keel.Sdk.Internal;

/// <summary>
/// Routes every continuation of handler code into the invocation's work queue, which the driver
/// runs one item at a time. That makes concurrent branches of one handler interleave
/// deterministically, like JavaScript's event loop.
/// </summary>
internal sealed class PumpSynchronizationContext(ChannelWriter<Action> work) : SynchronizationContext
{
    public override void Post(SendOrPostCallback d, object? state) => work.TryWrite(() => d(state));

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("Synchronous dispatch onto a Keel invocation is not supported.");

    public override SynchronizationContext CreateCopy() => this;
}
