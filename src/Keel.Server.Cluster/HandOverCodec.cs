using System.Buffers.Binary;
using Keel.Server.Partitions;

namespace Keel.Server.Cluster;

/// <summary>
/// Hand-overs between partitions on different nodes, several per request: each is a kind byte
/// (1 deliver, 2 acknowledge), the source partition, the sequence, and for a delivery the previous
/// sequence to the same target (or none) and the operation as its outbox record.
/// </summary>
internal static class HandOverCodec
{
    private const byte DeliverKind = 1;
    private const byte AckKind = 2;

    public static byte[] Encode(int target, IReadOnlyList<PartitionCommand> commands)
    {
        using var buffer = new MemoryStream();
        Span<byte> scratch = stackalloc byte[8];
        foreach (var command in commands)
        {
            switch (command)
            {
                case PartitionCommand.Deliver deliver:
                    buffer.WriteByte(DeliverKind);
                    WriteInt(buffer, scratch, deliver.Source);
                    WriteLong(buffer, scratch, deliver.Seq);
                    buffer.WriteByte(deliver.Previous is null ? (byte)0 : (byte)1);
                    WriteLong(buffer, scratch, deliver.Previous ?? 0);
                    var op = OutboxCodec.Encode(target, deliver.Op);
                    WriteInt(buffer, scratch, op.Length);
                    buffer.Write(op);
                    break;
                case PartitionCommand.AckOutbox ack:
                    buffer.WriteByte(AckKind);
                    WriteInt(buffer, scratch, 0);
                    WriteLong(buffer, scratch, ack.Seq);
                    break;
                default:
                    throw new ArgumentException($"{command.GetType().Name} does not travel between nodes.", nameof(commands));
            }
        }

        return buffer.ToArray();
    }

    /// <exception cref="FormatException">The body is not a sequence of hand-overs.</exception>
    public static List<PartitionCommand> Decode(ReadOnlySpan<byte> body)
    {
        var commands = new List<PartitionCommand>();
        try
        {
            while (!body.IsEmpty)
            {
                var kind = body[0];
                var source = BinaryPrimitives.ReadInt32BigEndian(body[1..]);
                var seq = BinaryPrimitives.ReadUInt64BigEndian(body[5..]);
                body = body[13..];
                if (kind == AckKind)
                {
                    commands.Add(new PartitionCommand.AckOutbox(seq));
                    continue;
                }

                if (kind != DeliverKind)
                {
                    throw new FormatException($"unknown hand-over kind {kind}");
                }

                // Indexing an empty span throws IndexOutOfRangeException, which the slices' checks below do not cover.
                if (body.IsEmpty)
                {
                    throw new FormatException("a delivery that ends after its sequence");
                }

                ulong? previous = body[0] == 1 ? BinaryPrimitives.ReadUInt64BigEndian(body[1..]) : null;
                var length = BinaryPrimitives.ReadInt32BigEndian(body[9..]);
                var (_, op, _) = OutboxCodec.Decode(body.Slice(13, length));
                commands.Add(new PartitionCommand.Deliver(source, seq, op, previous));
                body = body[(13 + length)..];
            }
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new FormatException("a truncated or malformed hand-over", e);
        }

        return commands;
    }

    private static void WriteInt(MemoryStream buffer, Span<byte> scratch, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(scratch, value);
        buffer.Write(scratch[..4]);
    }

    private static void WriteLong(MemoryStream buffer, Span<byte> scratch, ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(scratch, value);
        buffer.Write(scratch);
    }
}
