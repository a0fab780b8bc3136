using System.Text.Json;
using Keel.Protocol.Manifest;

namespace Keel.Sdk.Tests;

/// <summary>
/// The manifest states each handler's input and output as Restate's TypeScript SDK does for the same
/// shapes: no input is <c>{}</c>, no output is <c>{"setContentTypeIfEmpty":false}</c>; inputs are
/// required exactly when the parameter is a non-nullable JSON value.
/// </summary>
public class ManifestShapeTests
{
    [Service]
    public sealed class Shapes
    {
        [Handler]
        public Task Nothing(IContext ctx) => Task.CompletedTask;

        [Handler]
        public Task<string> NoInput(IContext ctx) => Task.FromResult("x");

        [Handler]
        public Task NoOutput(IContext ctx, string name) => Task.CompletedTask;

        [Handler]
        public Task<int> Required(IContext ctx, Order order) => Task.FromResult(order.Quantity);

        [Handler]
        public Task<int> RequiredValue(IContext ctx, int value) => Task.FromResult(value);

        [Handler]
        public Task<string?> OptionalReference(IContext ctx, Order? order) => Task.FromResult(order?.Sku);

        [Handler]
        public Task<int> OptionalValue(IContext ctx, int? value) => Task.FromResult(value ?? 0);

        [Handler]
        public Task<byte[]> Raw(IContext ctx, byte[] body) => Task.FromResult(body);
    }

    public sealed record Order(string Sku, int Quantity);

    private static JsonElement Handler(string name)
    {
        var json = new ServiceRegistry().Add<Shapes>().BuildManifest(ProtocolMode.BidiStream).ToJson();
        var handlers = JsonDocument.Parse(json).RootElement.GetProperty("services")[0].GetProperty("handlers");
        return handlers.EnumerateArray().Single(h => h.GetProperty("name").GetString() == name).Clone();
    }

    private static string Json(JsonElement handler, string member) => handler.GetProperty(member).GetRawText();

    [Fact]
    public void No_input_and_no_output_declare_none()
    {
        var handler = Handler("nothing");
        Assert.Equal("{}", Json(handler, "input"));
        Assert.Equal("""{"setContentTypeIfEmpty":false}""", Json(handler, "output"));
    }

    [Fact]
    public void No_input_with_an_output_declares_the_json_output()
    {
        var handler = Handler("noInput");
        Assert.Equal("{}", Json(handler, "input"));
        Assert.Equal("""{"contentType":"application/json","setContentTypeIfEmpty":false}""", Json(handler, "output"));
    }

    [Fact]
    public void An_input_without_output_declares_an_empty_output()
    {
        var handler = Handler("noOutput");
        Assert.Equal("""{"required":true,"contentType":"application/json","jsonSchema":{}}""", Json(handler, "input"));
        Assert.Equal("""{"setContentTypeIfEmpty":false}""", Json(handler, "output"));
    }

    [Theory]
    [InlineData("required")]
    [InlineData("requiredValue")]
    public void Non_nullable_json_inputs_are_required(string name) =>
        Assert.Equal("""{"required":true,"contentType":"application/json","jsonSchema":{}}""", Json(Handler(name), "input"));

    [Theory]
    [InlineData("optionalReference")]
    [InlineData("optionalValue")]
    public void Nullable_json_inputs_are_optional(string name) =>
        Assert.Equal("""{"required":false,"contentType":"application/json"}""", Json(Handler(name), "input"));

    [Fact]
    public void Raw_bytes_are_optional_octet_streams()
    {
        var handler = Handler("raw");
        Assert.Equal("""{"required":false,"contentType":"application/octet-stream"}""", Json(handler, "input"));
        Assert.Equal("""{"contentType":"application/octet-stream","setContentTypeIfEmpty":false}""", Json(handler, "output"));
    }
}
