using Keel.Server.Storage;

namespace Keel.Server.TestSeams;

/// <summary>
/// A testing seam, never on by default: the store of a server started with <c>KEEL_TEST_STORE_FAULTS</c> naming
/// a control file is wrapped in this decorator, and whatever that file says (<see cref="StoreFaults"/>) happens to
/// every commit from then on: it fails, or it is slow. The fault campaign (tests/Keel.Chaos) uses it to check
/// that a failed commit stops the partition visibly (crash-only), that nothing acknowledged is lost and nothing
/// acknowledged that was not written. Reads, scans and snapshots pass through untouched.
/// </summary>
public sealed class FaultInjectingStore(IKeyValueStore inner, string controlFile) : IKeyValueStore
{
    private readonly Lock _gate = new();
    private DateTime _readAt = DateTime.MinValue;
    private long _readLength = -1;
    private StoreFaults _faults = StoreFaults.None;

    public IKeyValueStore Inner => inner;

    public byte[]? Get(Table table, ReadOnlySpan<byte> key) => inner.Get(table, key);

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to) => inner.Scan(table, from, to);

    public IStoreSnapshot OpenSnapshot() => inner.OpenSnapshot();

    public void Commit(IReadOnlyList<WriteOp> writes)
    {
        Inject();
        inner.Commit(writes);
    }

    public void CommitWithoutSync(IReadOnlyList<WriteOp> writes)
    {
        Inject();
        inner.CommitWithoutSync(writes);
    }

    private void Inject()
    {
        var faults = Current();
        if (faults.FailCommits)
        {
            throw new IOException($"injected storage fault: commit refused (test seam KEEL_TEST_STORE_FAULTS, {controlFile})");
        }

        if (faults.CommitDelay > TimeSpan.Zero)
        {
            // The partition's commit thread is blocked as it would be by a slow fsync.
            Thread.Sleep(faults.CommitDelay);
        }
    }

    /// <summary>The faults the control file asks for; it is read again only when its time or length changed (a stat per commit).</summary>
    private StoreFaults Current()
    {
        var file = new FileInfo(controlFile);
        var (at, length) = file.Exists ? (file.LastWriteTimeUtc, file.Length) : (DateTime.MinValue, -1L);
        lock (_gate)
        {
            if (at != _readAt || length != _readLength)
            {
                _faults = length <= 0 ? StoreFaults.None : StoreFaults.Parse(File.ReadAllText(controlFile));
                (_readAt, _readLength) = (at, length);
            }

            return _faults;
        }
    }

    public void Dispose() => inner.Dispose();
}
