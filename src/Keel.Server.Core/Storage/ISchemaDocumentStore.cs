namespace Keel.Server.Storage;

/// <summary>One stored version of the schema document: its bytes (null when nothing is stored yet) and its version.</summary>
public readonly record struct StoredDocument(byte[]? Content, long Version);

/// <summary>
/// Where the schema registry keeps its one document (deployments, services, operator settings). The
/// store does not know the document's shape; it keeps bytes under a version. Version 0 means nothing
/// stored, and each save makes the next version. Saving is a compare-and-swap on the version so that
/// registries on several nodes sharing one store never overwrite each other's changes.
/// </summary>
public interface ISchemaDocumentStore : IDisposable
{
    /// <summary>
    /// True when other processes write the same document: the registry then reads the latest version
    /// before it changes the document and watches the version for changes made elsewhere.
    /// </summary>
    bool IsShared { get; }

    /// <summary>The latest document and its version.</summary>
    StoredDocument Load();

    /// <summary>The latest version only: the cheap question a registry asks to learn whether it is up to date.</summary>
    long ReadVersion();

    /// <summary>
    /// Stores <paramref name="content"/> as version <paramref name="expectedVersion"/> + 1 if the stored
    /// version is still <paramref name="expectedVersion"/>; otherwise writes nothing and returns false.
    /// </summary>
    bool TrySave(byte[] content, long expectedVersion);
}
