using Keel.Chaos.History;

namespace Keel.Chaos.Checkers;

/// <summary>
/// Checks a side-effect ledger against the requests that produced it: operations <c>request</c> (argument: the
/// request id) and a ledger in which the handler records each request id when its effect happens (an
/// append-only log the handler writes once per request, e.g. a journaled call to a ledger object).
/// An acknowledged request's effect is in the ledger exactly once; an indeterminate one's at most once;
/// a certainly failed one's not at all; and the ledger holds nothing that was never requested.
/// Retries of one logical request reuse its id (and idempotency key): still one effect.
/// </summary>
public static class ExactlyOnceChecker
{
    public const string Name = "exactly-once";

    public static CheckResult Check(IReadOnlyList<Operation> requests, IReadOnlyList<string> ledger)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(ledger);
        var effects = ledger.GroupBy(id => id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

        // A request retried after an indeterminate attempt appears several times: it is acknowledged if any attempt was.
        var outcomes = requests.Where(o => o.F == "request").GroupBy(o => (string)o.Argument!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Any(o => o.IsOk) ? OpKind.Ok : g.Any(o => o.IsIndeterminate) ? OpKind.Info : OpKind.Fail, StringComparer.Ordinal);

        var lost = outcomes.Where(o => o.Value == OpKind.Ok && !effects.ContainsKey(o.Key)).Select(o => o.Key).Order(StringComparer.Ordinal).ToList();
        var duplicated = effects.Where(e => e.Value > 1).Select(e => $"{e.Key} ×{e.Value}").Order(StringComparer.Ordinal).ToList();
        var failedButDone = outcomes.Where(o => o.Value == OpKind.Fail && effects.ContainsKey(o.Key)).Select(o => o.Key).Order(StringComparer.Ordinal).ToList();
        var unexpected = effects.Keys.Where(id => !outcomes.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();

        var problems = new List<string>();
        Report(problems, "lost (acknowledged, no effect)", lost);
        Report(problems, "duplicated (effect more than once)", duplicated);
        Report(problems, "failed, yet took effect", failedButDone);
        Report(problems, "unexpected (never requested)", unexpected);
        return CheckResult.From(Name, problems);
    }

    private static void Report(List<string> problems, string what, IReadOnlyList<string> ids)
    {
        if (ids.Count > 0)
        {
            problems.Add($"{what}: {ids.Count}: [{string.Join(", ", ids.Take(50))}{(ids.Count > 50 ? ", ..." : "")}]");
        }
    }
}
