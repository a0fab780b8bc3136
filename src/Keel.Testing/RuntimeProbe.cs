using Keel.Server;

namespace Keel.Testing;

/// <summary>The test clock's view of the in-process runtime.</summary>
internal sealed class RuntimeProbe(KeelRuntime runtime) : IRuntimeProbe
{
    public Task WhenIdleAsync(CancellationToken cancellationToken) => runtime.Activity.WhenIdleAsync(cancellationToken);

    public DateTimeOffset? NextTimerDue() => runtime.NextTimerDue();
}
