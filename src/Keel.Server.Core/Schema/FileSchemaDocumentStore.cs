using System.Text;
using Keel.Server.Storage;

namespace Keel.Server.Admin;

/// <summary>
/// The schema document as <c>schema.json</c> in a node's data directory: written to a temp file,
/// fsync'd, then renamed, so a crash leaves the old or the new version. Only this process writes it,
/// so the version is a count of saves kept in memory (1 when the file already existed).
/// </summary>
internal sealed class FileSchemaDocumentStore : ISchemaDocumentStore
{
    private readonly string _path;
    private readonly Lock _gate = new();
    private long _version;

    public FileSchemaDocumentStore(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        _path = Path.Combine(dataDirectory, "schema.json");
        _version = File.Exists(_path) ? 1 : 0;
    }

    public bool IsShared => false;

    public StoredDocument Load()
    {
        lock (_gate)
        {
            // Read as text so that a byte order mark an editor may have added is dropped.
            return File.Exists(_path) ? new StoredDocument(Encoding.UTF8.GetBytes(File.ReadAllText(_path)), _version) : new StoredDocument(null, _version);
        }
    }

    public long ReadVersion()
    {
        lock (_gate)
        {
            return _version;
        }
    }

    public bool TrySave(byte[] content, long expectedVersion)
    {
        ArgumentNullException.ThrowIfNull(content);
        lock (_gate)
        {
            if (expectedVersion != _version)
            {
                return false;
            }

            var temp = _path + ".tmp";
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(content);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, _path, overwrite: true);
            _version++;
            return true;
        }
    }

    public void Dispose()
    {
    }
}
