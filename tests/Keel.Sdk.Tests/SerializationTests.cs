using Keel.Protocol.Messages;

namespace Keel.Sdk.Tests;

public class SerializationTests
{
    private static async Task<string> Ship(string input, KeelJsonOptions? json)
    {
        var output = await InvocationHarness.RunAsync<Orders>("ship", input, null, json);
        return output.OfType<OutputCommandMessage>().Single().Value.Content.ToStringUtf8();
    }

    [Fact]
    public async Task Defaults_are_camelCase_properties_and_enums_as_names()
    {
        Assert.Equal("{\"orderId\":\"o-1\",\"status\":\"Shipped\"}", await Ship("{\"orderId\":\"o-1\",\"status\":\"Pending\"}", null));
    }

    [Fact]
    public async Task Options_come_from_the_endpoint_not_a_global()
    {
        var pascal = new KeelJsonOptions().Configure(o => o.PropertyNamingPolicy = null);
        Assert.Equal("{\"OrderId\":\"o-1\",\"Status\":\"Shipped\"}", await Ship("{\"orderId\":\"o-1\",\"status\":0}", pascal));

        // Another endpoint's options are untouched.
        Assert.Equal("{\"orderId\":\"o-1\",\"status\":\"Shipped\"}", await Ship("{\"orderId\":\"o-1\",\"status\":0}", new KeelJsonOptions()));
    }

    [Fact]
    public async Task A_source_generated_context_serves_the_types_it_lists()
    {
        var json = new KeelJsonOptions().AddContext(OrdersJsonContext.Default);
        Assert.Same(OrdersJsonContext.Default, json.JsonSerializerOptions.TypeInfoResolverChain[0]);
        Assert.Contains("\"orderId\":\"o-1\"", await Ship("{\"orderId\":\"o-1\",\"status\":\"Pending\"}", json), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_in_use_cannot_change()
    {
        var json = new KeelJsonOptions();
        await Ship("{\"orderId\":\"o-1\",\"status\":0}", json);
        Assert.Throws<InvalidOperationException>(() => json.Configure(o => o.WriteIndented = true));
    }
}
