using Keel.Protocol.Messages;

namespace Keel.Sdk.Tests;

public sealed record InputLine(string Sku, int Quantity);

public sealed record InputBasket(string Owner, List<InputLine> Items);

/// <summary>Handlers whose inputs the tests below feed with JSON that does not fit.</summary>
[Service]
public sealed class Inputs
{
    [Handler]
    public Task<int> Count(IContext ctx, int n) => Task.FromResult(n);

    [Handler]
    public Task<int> Name(IContext ctx, string name) => Task.FromResult(name.Length);

    [Handler]
    public Task<int> Total(IContext ctx, InputBasket basket) => Task.FromResult(basket.Items.Sum(l => l.Quantity));

    [Handler]
    public Task<int> Tally(IContext ctx, Dictionary<string, int> counts) => Task.FromResult(counts.Count);
}

/// <summary>
/// When the SDK must refuse an input itself (a server that does not check it), the terminal 400 says
/// what is wrong in JSON terms: a caller writing JSON, perhaps from another language, learns nothing
/// from "could not be converted to System.Int32".
/// </summary>
public class InputMessageTests
{
    private static async Task<string> RefusalAsync(string handler, string body)
    {
        var output = await InvocationHarness.RunAsync<Inputs>(handler, body);
        var failure = Assert.IsType<OutputCommandMessage>(output[0]).Failure;
        Assert.Equal(400u, failure.Code);
        Assert.DoesNotContain("System.", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Int32", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("String", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("converted", failure.Message, StringComparison.Ordinal);
        return failure.Message;
    }

    [Theory]
    [InlineData("count", "{\"a\": tru", "malformed JSON at line 1, position 10: ")]
    [InlineData("total", "{\"owner\": \"ada\",\n \"items\": [,]}", "malformed JSON at line 2, position 12: ")]
    [InlineData("name", "'single quotes'", "malformed JSON at line 1, position 1: ")]
    [InlineData("count", "1 2", "malformed JSON at line 1, position 3: ")]
    public async Task Malformed_JSON_is_reported_as_malformed_with_where(string handler, string body, string problem)
    {
        var message = await RefusalAsync(handler, body);

        Assert.StartsWith($"Cannot read the input '", message, StringComparison.Ordinal);
        Assert.Contains($"' of Inputs/{handler}: {problem}", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("count", "\"five\"", "expected a JSON number, got a string.")]
    [InlineData("count", "{}", "expected a JSON number, got an object.")]
    [InlineData("count", "true", "expected a JSON number, got a boolean.")]
    [InlineData("name", "5", "expected a JSON string, got a number.")]
    [InlineData("total", "[1]", "expected a JSON object, got an array.")]
    [InlineData("total", "{\"owner\": \"ada\", \"items\": [{\"sku\": \"x\", \"quantity\": \"many\"}]}", "expected a JSON number, got a string at $.items[0].quantity.")]
    [InlineData("total", "{\"owner\": \"ada\", \"items\": {}}", "expected a JSON array, got an object at $.items.")]
    [InlineData("tally", "{\"apples\": [3]}", "expected a JSON number, got an array at $.apples.")]
    [InlineData("count", "300000000000", "the JSON number is out of range or in the wrong format.")]
    public async Task A_value_of_the_wrong_kind_is_named_in_JSON_terms(string handler, string body, string problem)
    {
        var message = await RefusalAsync(handler, body);

        Assert.EndsWith($" of Inputs/{handler}: {problem}", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("count", "", "'n' (a JSON number)", "Send a JSON number,")]
    [InlineData("name", "null", "'name' (a JSON string)", "Send a JSON string,")]
    [InlineData("total", "", "'basket' (a JSON object)", "Send a JSON object,")]
    public async Task A_missing_required_input_says_which_JSON_to_send(string handler, string body, string parameter, string advice)
    {
        var message = await RefusalAsync(handler, body);

        Assert.Contains($"Inputs/{handler}", message, StringComparison.Ordinal);
        Assert.Contains(parameter, message, StringComparison.Ordinal);
        Assert.Contains(advice, message, StringComparison.Ordinal);
    }
}
