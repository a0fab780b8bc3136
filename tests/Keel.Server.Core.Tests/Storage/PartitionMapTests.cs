using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Storage;

public class PartitionMapTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    public void Partitions_own_contiguous_ranges_that_cover_every_key(int count)
    {
        var map = new PartitionMap(count);
        Assert.Equal(0ul, map.RangeStart(0));
        Assert.Equal(ulong.MaxValue, map.RangeEnd(count - 1));
        for (var p = 0; p < count; p++)
        {
            Assert.Equal(p, map.PartitionOf(map.RangeStart(p)));
            Assert.Equal(p, map.PartitionOf(map.RangeEnd(p)));
            if (p > 0)
            {
                Assert.Equal(map.RangeEnd(p - 1) + 1, map.RangeStart(p));
            }

            Assert.Equal(p, map.PartitionOf(map.KeyWithin(p, 0xDEADBEEF_12345678)));
        }
    }
}
