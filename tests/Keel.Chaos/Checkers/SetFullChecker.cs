using Keel.Chaos.History;

namespace Keel.Chaos.Checkers;

/// <summary>What the set-full checker found for one set (one key).</summary>
public sealed record SetFullResult(
    string? Key,
    IReadOnlyList<long> Lost,
    IReadOnlyList<long> Duplicated,
    IReadOnlyList<long> Unexpected,
    IReadOnlyList<long> Stale,
    IReadOnlyList<long> NeverRead,
    int Acknowledged,
    int Reads)
{
    public bool IsValid => Lost.Count == 0 && Duplicated.Count == 0 && Unexpected.Count == 0 && Stale.Count == 0;
}

/// <summary>
/// Checks a grow-only set: operations <c>add</c> (argument: the element, each element added by one logical
/// request) and <c>read</c> (result: every element, as a list). For each element, the moment it is known to be
/// in the set is the earliest of: the completion of an ok add of it, the completion of an ok read that saw it.
/// Every read invoked after that moment must contain it. Found, per key:
/// <list type="bullet">
/// <item>lost: known present, yet missing from the last read (which began after it was known);</item>
/// <item>stale: known present, missing from a read that began after, present again in the last read;</item>
/// <item>duplicated: in some read more than once (an add applied twice: a retry that was not deduplicated);</item>
/// <item>unexpected: in a read but never added, or only by adds that certainly failed;</item>
/// <item>never read (not a failure): acknowledged, but no read began after the acknowledgement.</item>
/// </list>
/// Indeterminate adds may or may not be present; once a read has seen one, it is known present like any other.
/// Retrying an indeterminate add (same element, same idempotency key) is a second add of the same element:
/// the element must still appear at most once.
/// </summary>
public static class SetFullChecker
{
    public const string Name = "set-full";

    public static IReadOnlyList<SetFullResult> CheckPerKey(IReadOnlyList<Operation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        return operations.Where(o => o.F is "add" or "read").GroupBy(o => o.Key).Select(g => CheckOne(g.Key, [.. g])).ToList();
    }

    public static CheckResult Check(IReadOnlyList<Operation> operations)
    {
        var problems = new List<string>();
        foreach (var r in CheckPerKey(operations))
        {
            var key = r.Key is null ? "" : $"set {r.Key}: ";
            Report(problems, key + "lost (acknowledged or seen, missing from the last read)", r.Lost);
            Report(problems, key + "stale (missing from a read that began after it was known present)", r.Stale);
            Report(problems, key + "duplicated (more than once in a read)", r.Duplicated);
            Report(problems, key + "unexpected (read, but never added or only by failed adds)", r.Unexpected);
        }

        return CheckResult.From(Name, problems);
    }

    private static void Report(List<string> problems, string what, IReadOnlyList<long> elements)
    {
        if (elements.Count > 0)
        {
            problems.Add($"{what}: {elements.Count}: [{string.Join(", ", elements.Take(50))}{(elements.Count > 50 ? ", ..." : "")}]");
        }
    }

    private static SetFullResult CheckOne(string? key, IReadOnlyList<Operation> operations)
    {
        var adds = operations.Where(o => o.F == "add").ToList();
        var reads = operations.Where(o => o.F == "read" && o.IsOk).OrderBy(o => o.InvokeTime).ToList();
        var readSets = reads.Select(r => ElementsOf(r)).Select((elements, i) => (Read: reads[i], Elements: elements, Contents: elements.ToHashSet())).ToList();

        var mayBePresent = adds.Where(a => a.Outcome != OpKind.Fail).Select(a => ElementOf(a)).ToHashSet();
        var knownAt = new Dictionary<long, long>();
        foreach (var add in adds.Where(a => a.IsOk))
        {
            Known(knownAt, ElementOf(add), add.CompleteTime);
        }

        var duplicated = new SortedSet<long>();
        var unexpected = new SortedSet<long>();
        foreach (var (read, elements, _) in readSets)
        {
            var seen = new HashSet<long>();
            foreach (var element in elements)
            {
                if (!seen.Add(element))
                {
                    duplicated.Add(element);
                }

                if (!mayBePresent.Contains(element))
                {
                    unexpected.Add(element);
                }

                Known(knownAt, element, read.CompleteTime);
            }
        }

        var lost = new SortedSet<long>();
        var stale = new SortedSet<long>();
        var neverRead = new SortedSet<long>();
        foreach (var (element, known) in knownAt)
        {
            var laterReads = readSets.Where(r => r.Read.InvokeTime > known).ToList();
            if (laterReads.Count == 0)
            {
                neverRead.Add(element);
                continue;
            }

            var last = readSets[^1];
            if (!last.Contents.Contains(element) && last.Read.InvokeTime > known)
            {
                lost.Add(element);
            }
            else if (laterReads.Any(r => !r.Contents.Contains(element)))
            {
                stale.Add(element);
            }
        }

        return new SetFullResult(key, [.. lost], [.. duplicated], [.. unexpected], [.. stale], [.. neverRead], adds.Count(a => a.IsOk), reads.Count);
    }

    private static void Known(Dictionary<long, long> knownAt, long element, long time) =>
        knownAt[element] = knownAt.TryGetValue(element, out var earlier) ? Math.Min(earlier, time) : time;

    private static long ElementOf(Operation add) => add.Argument is long element
        ? element
        : throw new ArgumentException($"{add}: an add's argument is the element (a long)");

    private static IReadOnlyList<long> ElementsOf(Operation read) => read.Result as IReadOnlyList<long>
        ?? (read.Result as IEnumerable<long>)?.ToList()
        ?? throw new ArgumentException($"{read}: an ok read's result is the list of elements");
}
