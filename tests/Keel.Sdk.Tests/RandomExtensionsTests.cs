namespace Keel.Sdk.Tests;

public class RandomExtensionsTests
{
    [Fact]
    public void NextGuid_is_a_version_4_guid_that_repeats_for_the_same_seed()
    {
        var first = new Random(42).NextGuid();
        Assert.Equal(first, new Random(42).NextGuid());
        Assert.NotEqual(first, new Random(43).NextGuid());
        Assert.Equal(4, first.Version);
        Assert.Contains(first.ToString()[19], "89ab"); // the RFC 4122 variant
    }
}
