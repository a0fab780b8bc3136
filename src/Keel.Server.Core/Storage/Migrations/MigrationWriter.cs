namespace Keel.Server.Storage.Migrations;

/// <summary>
/// Collects a migration's writes and commits them in atomic, synced batches at record boundaries (a
/// record's old entry is deleted in the batch that writes its new one). In a dry run nothing is written:
/// the writes are only counted.
/// </summary>
public sealed class MigrationWriter
{
    /// <summary>Writes per batch: large enough that the fsyncs cost little, small enough to bound memory.</summary>
    public const int DefaultBatchSize = 512;

    private readonly IKeyValueStore _store;
    private readonly List<WriteOp> _pending = [];
    private readonly int _batchSize;
    private readonly int? _holdAfterBatches;

    public MigrationWriter(IKeyValueStore store, MigrationReport report, int batchSize = DefaultBatchSize, int? holdAfterBatches = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _store = store;
        Report = report;
        _batchSize = batchSize;
        _holdAfterBatches = holdAfterBatches;
    }

    public MigrationReport Report { get; }

    public bool DryRun => Report.DryRun;

    /// <summary>Called after each committed batch with the number of batches so far (progress logging).</summary>
    public Action<int>? Committed { get; init; }

    public void Put(Table table, byte[] key, byte[] value) => _pending.Add(new WriteOp(table, key, value));

    public void Delete(Table table, byte[] key) => _pending.Add(new WriteOp(table, key, null));

    /// <summary>Ends a record: commits the batch when it is full. Never call it between a record's own writes.</summary>
    public void EndRecord()
    {
        if (_pending.Count >= _batchSize)
        {
            Flush();
        }
    }

    /// <summary>Commits what is pending (atomic and durable), or drops it in a dry run.</summary>
    public void Flush()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        if (!DryRun)
        {
            _store.Commit([.. _pending]);
            Report.Batches++;
            Committed?.Invoke(Report.Batches);
            if (Report.Batches == _holdAfterBatches)
            {
                // Test hook (the kill -9 test): stop here, mid-migration, until the process is killed.
                Console.Out.WriteLine($"migration holding after {Report.Batches} batches");
                Console.Out.Flush();
                Thread.Sleep(Timeout.Infinite);
            }
        }

        _pending.Clear();
    }
}
