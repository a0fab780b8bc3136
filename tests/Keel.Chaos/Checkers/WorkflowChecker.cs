namespace Keel.Chaos.Checkers;

/// <summary>
/// One workflow as the client drove it: its id, the result it must end with (made of its input, the value the
/// promise was resolved with and the value the awakeable was resolved with), whether its start was acknowledged,
/// the last result an attach returned and the last result the shared reader returned after that attach.
/// </summary>
public sealed record WorkflowRun(string Id, string Expected, bool Started, string? Attached, string? ReadAfterEnd);

/// <summary>The end of a workflow's run as its service recorded it outside Keel: the workflow id and the invocation that ended.</summary>
public sealed record WorkflowEnd(string Id, string InvocationId);

/// <summary>
/// Checks workflows that wait on a durable promise and an awakeable: each started workflow ended exactly once (one
/// invocation recorded its end: none lost, none run as two invocations), with the values it was woken with (what
/// attach returned), and its shared handler reads the same result after the end; nothing ended that was never started.
/// </summary>
public static class WorkflowChecker
{
    public const string Name = "workflow";

    public static CheckResult Check(IReadOnlyList<WorkflowRun> runs, IReadOnlyList<WorkflowEnd> ends)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(ends);
        var endedBy = ends.Distinct().GroupBy(e => e.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(e => e.InvocationId).ToList(), StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var run in runs.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            var invocations = endedBy.GetValueOrDefault(run.Id) ?? [];
            if (run.Started && invocations.Count == 0)
            {
                problems.Add($"workflow {run.Id} started (acknowledged) but its end was never recorded");
            }

            if (invocations.Count > 1)
            {
                problems.Add($"workflow {run.Id} ended as {invocations.Count} invocations: {string.Join(", ", invocations)}");
            }

            if (!run.Started)
            {
                continue;
            }

            if (run.Attached is null)
            {
                problems.Add($"workflow {run.Id}: no attach returned its result");
            }
            else if (run.Attached != run.Expected)
            {
                problems.Add($"workflow {run.Id} ended with '{run.Attached}', expected '{run.Expected}'");
            }

            if (run.ReadAfterEnd is null)
            {
                problems.Add($"workflow {run.Id}: no read of its result after the end");
            }
            else if (run.ReadAfterEnd != run.Expected)
            {
                problems.Add($"workflow {run.Id}: read '{run.ReadAfterEnd}' after the end, expected '{run.Expected}'");
            }
        }

        var known = runs.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(endedBy.Keys.Where(id => !known.Contains(id)).Order(StringComparer.Ordinal).Select(id => $"workflow {id} ended but was never started"));
        return CheckResult.From(Name, problems);
    }
}
