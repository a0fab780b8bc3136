namespace Keel.Server.Storage;

/// <summary>
/// A batch was refused because this node no longer holds the partition's lease (another node took it
/// over with a higher epoch). Nothing of the batch was written; the partition must stop here.
/// </summary>
public sealed class PartitionFencedException : Exception
{
    public PartitionFencedException()
    {
    }

    public PartitionFencedException(string message)
        : base(message)
    {
    }

    public PartitionFencedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
