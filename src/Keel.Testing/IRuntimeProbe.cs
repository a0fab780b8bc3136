namespace Keel.Testing;

/// <summary>What the test clock needs to know about the runtime it drives: when it is quiet, and when its next durable timer is due.</summary>
internal interface IRuntimeProbe
{
    /// <summary>Completes when no command is queued or being applied and no attempt is running.</summary>
    Task WhenIdleAsync(CancellationToken cancellationToken);

    /// <summary>The earliest durable timer's due time (sleep, delayed send, retry backoff), or null.</summary>
    DateTimeOffset? NextTimerDue();
}
