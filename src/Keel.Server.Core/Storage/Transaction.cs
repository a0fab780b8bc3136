namespace Keel.Server.Storage;

/// <summary>
/// The writes of one processor batch, readable before they are committed (later commands in the
/// batch see earlier ones). Each command writes into its own savepoint: completing it folds its
/// writes into the batch, rolling it back leaves no trace. Batches that are applied but not yet
/// durable (the pipeline's in-flight ones) are readable beneath this one.
/// </summary>
public sealed class Transaction(IKeyValueStore store, IReadOnlyList<Overlay>? inFlight = null)
{
    private readonly Overlay _batch = new();
    private Overlay? _command;

    public bool IsEmpty => _batch.Count == 0 && (_command?.Count ?? 0) == 0;

    /// <summary>The batch's writes so far (completed commands only).</summary>
    public Overlay Batch => _batch;

    public bool InCommand => _command is not null;

    public void BeginCommand()
    {
        if (_command is not null)
        {
            throw new InvalidOperationException("A command is already open in this transaction.");
        }

        _command = new Overlay();
    }

    /// <summary>Folds the open command's writes into the batch and returns them (the command's mutations).</summary>
    public IReadOnlyList<WriteOp> CompleteCommand()
    {
        var command = _command ?? throw new InvalidOperationException("No command is open.");
        _command = null;
        command.MergeInto(_batch);
        return command.Writes();
    }

    /// <summary>Drops the open command's writes.</summary>
    public void RollbackCommand() => _command = null;

    public byte[]? Get(Table table, byte[] key)
    {
        if (_command is not null && _command.TryGet(table, key, out var pending))
        {
            return pending;
        }

        if (_batch.TryGet(table, key, out pending))
        {
            return pending;
        }

        if (inFlight is not null)
        {
            for (var i = inFlight.Count - 1; i >= 0; i--)
            {
                if (inFlight[i].TryGet(table, key, out pending))
                {
                    return pending;
                }
            }
        }

        return store.Get(table, key);
    }

    public void Put(Table table, byte[] key, byte[] value) => (_command ?? _batch).Set(table, key, value);

    public void Delete(Table table, byte[] key) => (_command ?? _batch).Set(table, key, null);

    /// <summary>Entries whose key starts with <paramref name="prefix"/>: committed ones merged with pending writes, in key order.</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] prefix) => Scan(table, prefix, KeyRange.PrefixEnd(prefix));

    /// <summary>Entries with from ≤ key &lt; to, lazily merged from the store and every pending layer (newest wins).</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to)
    {
        var layers = new List<IEnumerable<KeyValuePair<byte[], byte[]?>>>
        {
            store.Scan(table, from, to).Select(kv => KeyValuePair.Create(kv.Key, (byte[]?)kv.Value)),
        };
        if (inFlight is not null)
        {
            layers.AddRange(inFlight.Select(o => o.Range(table, from, to)));
        }

        layers.Add(_batch.Range(table, from, to));
        if (_command is not null)
        {
            layers.Add(_command.Range(table, from, to));
        }

        return MergedScan.Merge(layers);
    }

    /// <summary>Commits the batch directly (tests, and start-up writes); the processor commits through its pipeline.</summary>
    public void Commit()
    {
        if (_command is not null)
        {
            throw new InvalidOperationException("A command is still open.");
        }

        store.Commit(_batch.Writes());
    }
}

/// <summary>Merges sorted layers; for equal keys the last layer wins; deletes (null) hide the key.</summary>
internal static class MergedScan
{
    public static IEnumerable<KeyValuePair<byte[], byte[]>> Merge(List<IEnumerable<KeyValuePair<byte[], byte[]?>>> layers)
    {
        var cursors = layers.Select(l => l.GetEnumerator()).ToArray();
        var live = cursors.Select(c => c.MoveNext()).ToArray();
        try
        {
            while (true)
            {
                byte[]? smallest = null;
                for (var i = 0; i < cursors.Length; i++)
                {
                    if (live[i] && (smallest is null || ByteComparer.Instance.Compare(cursors[i].Current.Key, smallest) < 0))
                    {
                        smallest = cursors[i].Current.Key;
                    }
                }

                if (smallest is null)
                {
                    yield break;
                }

                byte[]? value = null;
                for (var i = 0; i < cursors.Length; i++)
                {
                    if (live[i] && ByteComparer.Instance.Compare(cursors[i].Current.Key, smallest) == 0)
                    {
                        value = cursors[i].Current.Value;
                        live[i] = cursors[i].MoveNext();
                    }
                }

                if (value is not null)
                {
                    yield return KeyValuePair.Create(smallest, value);
                }
            }
        }
        finally
        {
            foreach (var cursor in cursors)
            {
                cursor.Dispose();
            }
        }
    }
}
