using System.Text.Json;
using Keel.TestSupport;

namespace Keel.Server.E2E.Tests.Cli;

/// <summary>
/// What every CLI test does alike. A test case runs against one server (<see cref="ServerKind"/>): on restate-server it
/// checks the expectations (which validates them and the harness); on Keel it runs the same steps on restate-server
/// too and requires, besides the expectations, the same normalized output.
/// </summary>
[Collection(CliCollection.Name)]
public abstract class CliTestBase(CliServers servers)
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    protected CliServers Servers => servers;

    protected Task<CliSide> SideAsync(ServerKind kind) => servers.SideAsync(kind);

    /// <summary>
    /// Runs <paramref name="flow"/> on the server under test and, when that is Keel, first on restate-server (the
    /// reference). The reference is null for a restate-server test case.
    /// </summary>
    protected async Task<(T Subject, T? Reference)> OnServerAndReferenceAsync<T>(ServerKind kind, Func<CliSide, Task<T>> flow)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(flow);
        T? reference = null;
        if (kind != ServerKind.Restate)
        {
            reference = await flow(await servers.SideAsync(ServerKind.Restate));
        }

        return (await flow(await servers.SideAsync(kind)), reference);
    }

    /// <summary>Observes until <paramref name="done"/> holds or patience runs out; returns the last observation either way.</summary>
    protected static async Task<T> SettleAsync<T>(Func<Task<T>> observe, Func<T, bool> done, TimeSpan? patience = null)
    {
        ArgumentNullException.ThrowIfNull(observe);
        ArgumentNullException.ThrowIfNull(done);
        var deadline = DateTime.UtcNow + (patience ?? Patience);
        while (true)
        {
            var last = await observe();
            if (done(last) || DateTime.UtcNow > deadline)
            {
                return last;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Equal sequences, or a failure that prints both in full.</summary>
    protected static void AssertLines(IEnumerable<string> expected, IEnumerable<string> actual, string what)
    {
        var e = expected.ToList();
        var a = actual.ToList();
        if (!e.SequenceEqual(a, StringComparer.Ordinal))
        {
            Assert.Fail($"{what}:\n--- expected\n{string.Join('\n', e)}\n--- actual\n{string.Join('\n', a)}");
        }
    }

    /// <summary>Contains the line, or a failure that prints all the lines.</summary>
    protected static void AssertHasLine(string expected, IEnumerable<string> actual, string what)
    {
        var a = actual.ToList();
        if (!a.Contains(expected, StringComparer.Ordinal))
        {
            Assert.Fail($"{what}: no line\n{expected}\n--- among\n{string.Join('\n', a)}");
        }
    }

    /// <summary>For a Keel test case: the same lines as restate-server printed for the same steps.</summary>
    protected static void AssertSameAsRestate(IEnumerable<string>? reference, IEnumerable<string> subject, string what)
    {
        if (reference is null)
        {
            return;
        }

        var r = reference.ToList();
        var s = subject.ToList();
        if (!r.SequenceEqual(s, StringComparer.Ordinal))
        {
            Assert.Fail($"{what} differs from restate-server's:\n--- restate-server\n{string.Join('\n', r)}\n--- keel\n{string.Join('\n', s)}");
        }
    }

    protected static List<string> Sorted(IEnumerable<string> lines) => [.. lines.Order(StringComparer.Ordinal)];

    /// <summary>A table row as one line: its cells joined with " | " (a multi-line cell's lines with " / ").</summary>
    protected static string Line(IEnumerable<string> cells) => CliOutput.Row(cells);

    /// <summary>Every "label | value" row of every table, in order (the CLI prints its key-value blocks as tables).</summary>
    protected static List<string> KeyValueLines(string output) =>
        [.. CliOutput.Tables(output).SelectMany(t => t.Rows).Where(r => r.Count == 2).Select(Line)];

    /// <summary>An invocation as (target, status, who invoked it).</summary>
    protected static string Summary(CliInvocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return $"{invocation.Target} {invocation.Status}" + (invocation.InvokedBy.Length > 0 ? $" <- {invocation.InvokedBy}" : string.Empty);
    }

    /// <summary>An invocation with all its fields, normalized.</summary>
    protected static string Shape(CliSide side, CliInvocation invocation)
    {
        ArgumentNullException.ThrowIfNull(side);
        ArgumentNullException.ThrowIfNull(invocation);
        // Restate's ingress gives every request without an idempotency key a generated one (a ULID);
        // Keel leaves it unset. That one field is left out of the comparison; keys a client sent are compared.
        var fields = invocation.Fields
            .Where(f => !(f.Key == "Idempotency key" && CliOutput.IsUlid(f.Value)))
            .OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}: {f.Value}");
        return side.Normalize($"{invocation.Target} {{ {string.Join("; ", fields)} }}").Replace('\n', ' ');
    }

    protected static async Task<IReadOnlyList<CliInvocation>> ListAsync(CliSide side, params string[] options)
    {
        ArgumentNullException.ThrowIfNull(side);
        return CliOutput.Invocations((await side.RunAsync(["invocations", "list", .. options])).Stdout);
    }

    /// <summary>One column of `restate sql --json` rows, as strings ("" for an absent or null value).</summary>
    protected static string Text(JsonElement row, string column) =>
        row.TryGetProperty(column, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()
            : string.Empty;

    /// <summary>The status of one invocation from `restate sql`, "" when it is not there (any more).</summary>
    protected static async Task<string> StatusAsync(CliSide side, string invocationId)
    {
        ArgumentNullException.ThrowIfNull(side);
        var rows = await side.SqlAsync($"select status from sys_invocation where id = '{invocationId}'");
        return rows.Count == 0 ? string.Empty : Text(rows[0], "status");
    }

    protected static string NewKey(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];
}
