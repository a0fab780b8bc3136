using Keel.Server.Introspection;

namespace Keel.Server.Tests.Query;

/// <summary>A snapshot over fixed rows that records what was read from it.</summary>
internal sealed class FakeSnapshot(TestData data) : IIntrospectionSnapshot
{
    public List<string> Reads { get; } = [];

    public bool Disposed { get; private set; }

    public IEnumerable<InvocationRow> Invocations() => Read(nameof(Invocations), data.Invocations);

    public IEnumerable<JournalRow> Journal() => Read(nameof(Journal), data.Journal);

    public IEnumerable<StateRow> State() => Read(nameof(State), data.State);

    public IEnumerable<InboxRow> Inbox() => Read(nameof(Inbox), data.Inbox);

    public IEnumerable<PromiseRow> Promises() => Read(nameof(Promises), data.Promises);

    public IEnumerable<IdempotencyRow> Idempotency() => Read(nameof(Idempotency), data.Idempotency);

    public void Dispose() => Disposed = true;

    private IEnumerable<T> Read<T>(string name, IReadOnlyList<T> rows)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Reads.Add(name);
        return rows;
    }
}
