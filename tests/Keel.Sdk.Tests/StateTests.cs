using Keel.Protocol.Messages;

namespace Keel.Sdk.Tests;

public class StateTests
{
    [Fact]
    public async Task An_absent_collection_reads_as_the_given_default()
    {
        var output = await InvocationHarness.RunAsync<Basket>("add", "\"apple\"");
        Assert.Equal("[\"apple\"]", output.OfType<SetStateCommandMessage>().Single().Value.Content.ToStringUtf8());
        Assert.Equal("1", output.OfType<OutputCommandMessage>().Single().Value.Content.ToStringUtf8());
    }

    [Fact]
    public async Task Clear_takes_the_typed_key()
    {
        var output = await InvocationHarness.RunAsync<Basket>("empty", "");
        Assert.Equal("items", output.OfType<ClearStateCommandMessage>().Single().Key.ToStringUtf8());
    }
}
