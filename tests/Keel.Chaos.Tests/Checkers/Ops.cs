using Keel.Chaos.History;

namespace Keel.Chaos.Tests.Checkers;

/// <summary>Hand-written histories: operations with explicit invocation and completion times (in any unit).</summary>
internal sealed class Ops
{
    private readonly List<Operation> _operations = [];

    public IReadOnlyList<Operation> List => _operations;

    public Ops Ok(string f, object? argument, object? result, long from, long to, string? key = null) => Add(f, argument, OpKind.Ok, result, from, to, key);

    public Ops Fail(string f, object? argument, long from, long to, string? key = null) => Add(f, argument, OpKind.Fail, null, from, to, key);

    /// <summary>Indeterminate: invoked at <paramref name="from"/>, never known to complete.</summary>
    public Ops Info(string f, object? argument, long from, string? key = null) => Add(f, argument, OpKind.Info, null, from, Operation.Never, key);

    // Register shorthands.
    public Ops Write(long value, long from, long to) => Ok("write", value, null, from, to);

    public Ops Read(long? value, long from, long to) => Ok("read", null, value, from, to);

    public Ops Cas(long expected, long value, long from, long to) => Ok("cas", new CasArgs(expected, value), null, from, to);

    // Set shorthands.
    public Ops Add(long element, long from, long to, string? key = null) => Ok("add", element, null, from, to, key);

    public Ops ReadSet(long from, long to, params long[] elements) => Ok("read", null, elements.ToList(), from, to);

    private Ops Add(string f, object? argument, OpKind outcome, object? result, long from, long to, string? key)
    {
        // Each operation its own process: the checkers here judge times, not process ids.
        _operations.Add(new Operation(_operations.Count, f, key, argument, outcome, result, from, to, _operations.Count));
        return this;
    }
}
