using System.Buffers.Binary;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Storage;

public class OverlayTests
{
    private static byte[] Key(ulong prefix, params byte[] tail)
    {
        var key = new byte[8 + tail.Length];
        BinaryPrimitives.WriteUInt64BigEndian(key, prefix);
        tail.CopyTo(key, 8);
        return key;
    }

    [Fact]
    public void Ranges_within_and_across_partition_keys_match_a_plain_sorted_filter()
    {
        var overlay = new Overlay();
        var all = new List<byte[]>();
        var random = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            var key = Key((ulong)random.Next(0, 6), (byte)random.Next(0, 4), (byte)random.Next(0, 256));
            overlay.Set(Table.State, key, i % 5 == 0 ? null : [1]);
            all.Add(key);
        }

        var distinct = all.Distinct(ByteComparer.Instance).Order(ByteComparer.Instance).ToList();
        var bounds = new (byte[] From, byte[]? To)[]
        {
            (Key(2), KeyRange.PrefixEnd(Key(2))),
            (Key(2, 1), KeyRange.PrefixEnd(Key(2, 1))),
            (Key(1, 3), Key(2, 1)),
            (Key(0), Key(5, 2)),
            (Key(3), null),
            ([], null),
        };
        foreach (var (from, to) in bounds)
        {
            var expected = distinct.Where(k => KeyRange.InRange(k, from, to)).ToList();
            Assert.Equal(expected, overlay.Range(Table.State, from, to).Select(kv => kv.Key));
        }
    }
}
