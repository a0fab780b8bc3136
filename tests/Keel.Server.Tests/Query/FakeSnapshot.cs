using Keel.Server.Introspection;

namespace Keel.Server.Tests.Query;

/// <summary>A snapshot over fixed rows that records what was read from it and counts the rows it handed out.</summary>
internal sealed class FakeSnapshot(TestData data) : IIntrospectionSnapshot
{
    public List<string> Reads { get; } = [];

    /// <summary>Rows handed out per read (<c>Invocations</c>, <c>Invocations(ids)</c>, …), as the engine enumerated them.</summary>
    public Dictionary<string, int> RowsRead { get; } = [];

    public bool Disposed { get; private set; }

    public IEnumerable<InvocationRow> Invocations() => Read(nameof(Invocations), data.Invocations);

    /// <summary>As a store does it: straight to the rows of those ids, without passing the others.</summary>
    public IEnumerable<InvocationRow> Invocations(IReadOnlyCollection<string> ids) =>
        Read(nameof(Invocations) + "(ids)", [.. data.Invocations.Where(r => ids.Contains(r.Id))]);

    /// <summary>As a store does it: every status is looked at, but only the rows of those that pass are handed out.</summary>
    public IEnumerable<InvocationRow> InvocationsWithStatus(Func<string, bool> status) =>
        Read(nameof(InvocationsWithStatus), [.. data.Invocations.Where(r => status(r.Status))]);

    public IEnumerable<JournalRow> Journal() => Read(nameof(Journal), data.Journal);

    public IEnumerable<JournalRow> Journal(IReadOnlyCollection<string> ids) =>
        Read(nameof(Journal) + "(ids)", [.. data.Journal.Where(r => ids.Contains(r.Id))]);

    public IEnumerable<StateRow> State() => Read(nameof(State), data.State);

    public IEnumerable<StateRow> State(IReadOnlyCollection<(string Service, string Key)> objects) =>
        Read(nameof(State) + "(objects)", [.. data.State.Where(r => objects.Contains((r.ServiceName, r.ServiceKey)))]);

    public IEnumerable<InboxRow> Inbox() => Read(nameof(Inbox), data.Inbox);

    public IEnumerable<InboxRow> Inbox(IReadOnlyCollection<(string Service, string Key)> objects) =>
        Read(nameof(Inbox) + "(objects)", [.. data.Inbox.Where(r => objects.Contains((r.ServiceName, r.ServiceKey)))]);

    public IEnumerable<PromiseRow> Promises() => Read(nameof(Promises), data.Promises);

    public IEnumerable<PromiseRow> Promises(IReadOnlyCollection<(string Service, string Key)> objects) =>
        Read(nameof(Promises) + "(objects)", [.. data.Promises.Where(r => objects.Contains((r.ServiceName, r.ServiceKey)))]);

    public IEnumerable<IdempotencyRow> Idempotency() => Read(nameof(Idempotency), data.Idempotency);

    public void Dispose() => Disposed = true;

    /// <summary>Rows handed out by all reads together.</summary>
    public int TotalRowsRead => RowsRead.Values.Sum();

    private IEnumerable<T> Read<T>(string name, IReadOnlyList<T> rows)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Reads.Add(name);
        RowsRead.TryAdd(name, 0);
        return Count(name, rows);
    }

    private IEnumerable<T> Count<T>(string name, IReadOnlyList<T> rows)
    {
        foreach (var row in rows)
        {
            RowsRead[name]++;
            yield return row;
        }
    }
}
