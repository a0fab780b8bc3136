using System.Text;
using System.Text.RegularExpressions;

namespace Keel.TestSupport;

/// <summary>
/// A table printed by the `restate` CLI with <c>--table-style borders</c>: the header (empty when the table has none)
/// and the rows, each cell trimmed; a cell spread over several lines has its lines joined with '\n'.
/// </summary>
public sealed record CliTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    /// <summary>A two-column table of "Label:" / value rows, as a dictionary (the ':' dropped from labels).</summary>
    public IReadOnlyDictionary<string, string> KeyValues() =>
        Rows.Where(r => r.Count >= 2 && r[0].Length > 0).GroupBy(r => r[0].TrimEnd(':')).ToDictionary(g => g.Key, g => g.First()[1]);

    /// <summary>The row whose first cell is <paramref name="first"/>, or null.</summary>
    public IReadOnlyList<string>? Row(string first) => Rows.FirstOrDefault(r => r.Count > 0 && r[0] == first);
}

/// <summary>An entry of `restate invocations list`: "❯ [created at] id" then a table of labelled fields.</summary>
public sealed record CliInvocation(string Id, string CreatedAt, IReadOnlyDictionary<string, string> Fields)
{
    public string Target => Fields.GetValueOrDefault("Target", string.Empty);

    /// <summary>The status word(s) without the details in parentheses: "suspended", "completed with success".</summary>
    public string Status => CliOutput.StatusWords(Fields.GetValueOrDefault("Status", string.Empty));

    /// <summary>The target of the "Invoked by" field (its invocation id dropped), or "" for an ingress call.</summary>
    public string InvokedBy => Fields.TryGetValue("Invoked by", out var by) ? by.Split(' ')[0] : string.Empty;
}

/// <summary>Parses and normalizes the text the `restate` CLI prints.</summary>
public static partial class CliOutput
{
    public static string StripAnsi(string text) => AnsiEscape().Replace(text ?? string.Empty, string.Empty);

    /// <summary>Every bordered table of the output, in order.</summary>
    public static IReadOnlyList<CliTable> Tables(string output) => Parse(output).OfType<TableBlock>().Select(b => b.Table).ToList();

    /// <summary>The lines outside tables, trimmed, without empty ones.</summary>
    public static IReadOnlyList<string> PlainLines(string output) =>
        Parse(output).OfType<LineBlock>().Select(b => b.Text.Trim()).Where(l => l.Length > 0).ToList();

    /// <summary>
    /// The whole output as lines: a table row becomes its cells joined with " | " (a multi-line cell's lines joined
    /// with " / "), a table header likewise; other lines are trimmed; empty lines are dropped. With
    /// <paramref name="sortRows"/>, each table's rows are sorted: for tables the CLI fills from a hash map, whose order
    /// changes from one run of the CLI to the next.
    /// </summary>
    public static IReadOnlyList<string> Flatten(string output, bool sortRows = false)
    {
        var lines = new List<string>();
        foreach (var block in Parse(output))
        {
            if (block is TableBlock table)
            {
                if (table.Table.Header.Count > 0)
                {
                    lines.Add(Row(table.Table.Header));
                }

                var rows = table.Table.Rows.Select(Row);
                lines.AddRange(sortRows ? rows.Order(StringComparer.Ordinal) : rows);
            }
            else if (block is LineBlock line && line.Text.Trim() is { Length: > 0 } text)
            {
                lines.Add(text);
            }
        }

        return lines;
    }

    /// <summary>A table row as one line: its cells joined with " | ", a multi-line cell's lines with " / ".</summary>
    public static string Row(IEnumerable<string> cells) => string.Join(" | ", (cells ?? []).Select(c => c.Replace("\n", " / ", StringComparison.Ordinal)));

    /// <summary>The entries of `invocations list` (also the "Recent invocations" of `services status`).</summary>
    public static IReadOnlyList<CliInvocation> Invocations(string output)
    {
        var blocks = Parse(output);
        var entries = new List<CliInvocation>();
        for (var i = 0; i < blocks.Count; i++)
        {
            if (blocks[i] is LineBlock line && InvocationHeading().Match(line.Text) is { Success: true } heading)
            {
                var fields = i + 1 < blocks.Count && blocks[i + 1] is TableBlock table ? table.Table.KeyValues() : new Dictionary<string, string>();
                entries.Add(new CliInvocation(heading.Groups["id"].Value, heading.Groups["at"].Value, fields));
            }
        }

        return entries;
    }

    /// <summary>"suspended  (2 seconds ago)" → "suspended"; "completed with success" stays.</summary>
    public static string StatusWords(string status)
    {
        var cut = status.IndexOf('(', StringComparison.Ordinal);
        return (cut < 0 ? status : status[..cut]).Trim();
    }

    /// <summary>
    /// Replaces what legitimately differs between two servers running the same scenario: invocation and deployment ids,
    /// generated idempotency keys, timestamps, human durations ("2 seconds and 130 ms", "a minute", "now") and the wording that
    /// depends on them, query timings, the
    /// given URLs (by their role) and other loopback ports. Collapses runs of spaces and trims every line.
    /// Compact configuration durations ("1d", "500ms") are kept: they are values to compare.
    /// </summary>
    public static string Normalize(string text, IReadOnlyDictionary<Uri, string>? urls = null)
    {
        var s = StripAnsi(text);
        foreach (var (url, role) in urls ?? new Dictionary<Uri, string>())
        {
            var bare = url.GetLeftPart(UriPartial.Authority);
            s = s.Replace(bare + "/", role, StringComparison.Ordinal).Replace(bare, role, StringComparison.Ordinal);
        }

        s = InvocationId().Replace(s, "<inv>");
        s = DeploymentId().Replace(s, "<dp>");
        s = IsoTimestamp().Replace(s, "<time>");
        s = HumanTimestamp().Replace(s, "<time>");
        s = HumanDuration().Replace(s, "<duration>");
        s = NowAgo().Replace(s, "<duration> ago");
        s = QueryTook().Replace(s, "took <duration>");

        // Past a few seconds the CLI words the age of a suspended invocation differently: the same fact.
        s = s.Replace("(<duration>. The key will not be released until this invocation is complete)", "(<duration> ago)", StringComparison.Ordinal);
        s = Ulid().Replace(s, "<ulid>");
        s = LoopbackPort().Replace(s, "127.0.0.1:<port>");
        s = Spaces().Replace(s, " ");
        return string.Join('\n', s.Split('\n').Select(l => l.Trim()));
    }

    /// <summary>Whether the text is a whole ULID (26 Crockford base-32 characters), as Restate generates for idempotency keys.</summary>
    public static bool IsUlid(string text) => text.Trim().Length == 26 && Ulid().IsMatch(text.Trim());

    /// <summary><see cref="Normalize"/> of each string.</summary>
    public static IReadOnlyList<string> Normalize(IEnumerable<string> texts, IReadOnlyDictionary<Uri, string>? urls = null) =>
        texts.Select(t => Normalize(t, urls)).ToList();

    private abstract record Block;

    private sealed record LineBlock(string Text) : Block;

    private sealed record TableBlock(CliTable Table) : Block;

    private static List<Block> Parse(string output)
    {
        var blocks = new List<Block>();
        var lines = StripAnsi(output).Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].TrimStart().StartsWith('╭'))
            {
                blocks.Add(new LineBlock(lines[i]));
                continue;
            }

            var header = new List<string>();
            var rows = new List<IReadOnlyList<string>>();
            List<StringBuilder>? current = null;
            void Flush()
            {
                if (current is not null)
                {
                    rows.Add(current.Select(c => c.ToString()).ToList());
                    current = null;
                }
            }

            for (i++; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.StartsWith('╰'))
                {
                    break;
                }

                if (line.StartsWith('╞'))
                {
                    Flush();
                    header = rows.Count > 0 ? [.. rows[0]] : [];
                    rows.Clear();
                    continue;
                }

                if (line.StartsWith('├'))
                {
                    Flush();
                    continue;
                }

                if (!line.StartsWith('│'))
                {
                    continue;
                }

                var cells = line.Trim('│').Split('┆').Select(c => c.Trim()).ToList();
                if (current is null)
                {
                    current = cells.Select(c => new StringBuilder(c)).ToList();
                    continue;
                }

                for (var c = 0; c < cells.Count && c < current.Count; c++)
                {
                    if (cells[c].Length > 0)
                    {
                        current[c].Append(current[c].Length > 0 ? "\n" : string.Empty).Append(cells[c]);
                    }
                }
            }

            Flush();
            blocks.Add(new TableBlock(new CliTable(header, rows)));
        }

        return blocks;
    }

    [GeneratedRegex(@"\x1B\[[0-9;?]*[A-Za-z]|\x1B\][^\x07]*\x07")]
    private static partial Regex AnsiEscape();

    [GeneratedRegex(@"❯\s*\[(?<at>[^\]]*)\]\s*(?<id>inv_\S+)")]
    private static partial Regex InvocationHeading();

    [GeneratedRegex(@"\binv_[0-9A-Za-z]+")]
    private static partial Regex InvocationId();

    [GeneratedRegex(@"\bdp_[0-9A-Za-z]+")]
    private static partial Regex DeploymentId();

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(\s?(Z|[+-]\d{2}:?\d{2}))?")]
    private static partial Regex IsoTimestamp();

    [GeneratedRegex(@"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun),? \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2}( [+-]\d{2}:?\d{2})?")]
    private static partial Regex HumanTimestamp();

    [GeneratedRegex(@"\b(\d+(\.\d+)?|an?) (ms|milliseconds?|seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b((,| and) \d+(\.\d+)? (ms|milliseconds?|seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b)*")]
    private static partial Regex HumanDuration();

    [GeneratedRegex(@"\bnow ago\b")]
    private static partial Regex NowAgo();

    [GeneratedRegex(@"\btook \S+")]
    private static partial Regex QueryTook();

    [GeneratedRegex(@"\b[0-9A-HJKMNP-TV-Z]{26}\b")]
    private static partial Regex Ulid();

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex LoopbackPort();

    [GeneratedRegex(@"[ \t]+")]
    private static partial Regex Spaces();
}
