namespace Keel.Server.Query;

/// <summary>
/// The first <c>count</c> rows by a key, and every row tied with the last of them, from rows offered one
/// at a time (the load's side of <c>ORDER BY key LIMIT count</c>: DuckDB then picks its answer among them,
/// ties included, exactly as it would among all rows). Holds about twice <c>count</c> rows, more only
/// when many tie.
/// </summary>
internal sealed class TopRows<TRow>
{
    private const int Slack = 1024;

    private readonly long _count;
    private readonly Func<TRow, long> _key;
    private readonly bool _descending;

    /// <summary>The best <c>count</c> keys so far, the worst of them first.</summary>
    private readonly PriorityQueue<long, long> _best;
    private List<(TRow Row, long Key)> _rows = [];
    private long _compactAt;

    public TopRows(long count, Func<TRow, long> key, bool descending)
    {
        _count = count;
        _key = key;
        _descending = descending;
        _best = new PriorityQueue<long, long>(descending ? Comparer<long>.Default : Comparer<long>.Create(static (a, b) => b.CompareTo(a)));
        _compactAt = Math.Min(count, int.MaxValue / 4) * 2 + Slack;
    }

    public void Offer(TRow row)
    {
        if (_count == 0)
        {
            return;
        }

        var key = _key(row);
        if (_best.Count < _count)
        {
            _best.Enqueue(key, key);
            _rows.Add((row, key));
            return;
        }

        var worst = _best.Peek();
        if (Better(key, worst))
        {
            _best.DequeueEnqueue(key, key);
            _rows.Add((row, key));
        }
        else if (key == worst)
        {
            _rows.Add((row, key)); // tied with the last kept: DuckDB may pick it
        }
        else
        {
            return;
        }

        if (_rows.Count >= _compactAt)
        {
            // Rows worse than the current last kept never come back: the bar only rises. Many ties can
            // keep the list long, so the next compaction waits until it has doubled again.
            var bar = _best.Peek();
            _rows = [.. _rows.Where(r => !Better(bar, r.Key))];
            _compactAt = Math.Max(_compactAt, _rows.Count * 2L);
        }
    }

    /// <summary>The rows kept, in the order they were offered.</summary>
    public IEnumerable<TRow> Rows()
    {
        if (_count == 0)
        {
            return [];
        }

        if (_best.Count < _count)
        {
            return _rows.Select(r => r.Row);
        }

        var bar = _best.Peek();
        return _rows.Where(r => !Better(bar, r.Key)).Select(r => r.Row);
    }

    private bool Better(long a, long b) => _descending ? a > b : a < b;
}
