using Keel.Server.Telemetry;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Deadlocks;

/// <summary>
/// Tells the operator about the cycles a <see cref="WaitForGraph"/> finds: a Warning naming every invocation
/// of the cycle (target and id), the <c>keel.deadlocks.detected</c> counter, and an Information line when a
/// cycle is broken (a member cancelled, killed or otherwise completed).
/// </summary>
internal static partial class DeadlockReporter
{
    public static void Attach(WaitForGraph graph, ILogger logger)
    {
        graph.Detected += cycle =>
        {
            ServerTelemetry.DeadlocksDetected.Add(1);
            LogDetected(logger, cycle.Members.Count, cycle.Describe());
        };
        graph.Broken += cycle => LogBroken(logger, cycle.Describe());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deadlock: {Count} invocations wait for each other in a cycle: {Cycle}. None can finish; cancel or kill one of them.")]
    private static partial void LogDetected(ILogger logger, int count, string cycle);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deadlock broken: {Cycle}")]
    private static partial void LogBroken(ILogger logger, string cycle);
}
