namespace Keel.Server.Postgres;

/// <summary>
/// What a partition batch must still hold to commit: the lease of <see cref="Partition"/>, owned by
/// <see cref="Node"/> at <see cref="Epoch"/>. A node that lost the lease (another took it with a
/// higher epoch) can commit nothing more for that partition.
/// </summary>
public sealed record LeaseFence(int Partition, string Node, long Epoch);
