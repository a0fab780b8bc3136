using System.Text;
using Keel.Protocol.Payloads;

namespace Keel.Protocol.Tests;

public class JsonSyntaxTests
{
    [Theory]
    [InlineData("5")]
    [InlineData(" \"text\" ")]
    [InlineData("null")]
    [InlineData("{\"a\": [1, 2.5e3, true, {\"b\": \"\\u00e9\"}]}")]
    [InlineData("\n[\r\n]\n")]
    public void Well_formed_JSON_has_no_problem(string json) => Assert.Null(JsonSyntax.Problem(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Nesting_deeper_than_the_readers_default_of_64_is_still_well_formed()
    {
        var json = new string('[', 500) + new string(']', 500);

        Assert.Null(JsonSyntax.Problem(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("{\"a\": tru", "malformed JSON at line 1, position 10: ")]
    [InlineData("[1,\n 2,,]", "malformed JSON at line 2, position 4: ")]
    [InlineData("5 6", "malformed JSON at line 1, position 3: ")]
    [InlineData("{\"a\": 1,}", "malformed JSON at line 1, position 9: ")]
    [InlineData("// comment\n5", "malformed JSON at line 1, position 1: ")]
    [InlineData("'single'", "malformed JSON at line 1, position 1: ")]
    [InlineData("", "malformed JSON at line 1, position 1: The input does not contain any JSON tokens.")]
    [InlineData("   ", "malformed JSON at line 1, position 4: The input does not contain any JSON tokens.")]
    public void Malformed_JSON_is_reported_with_a_one_based_line_and_position(string json, string start)
    {
        var problem = JsonSyntax.Problem(Encoding.UTF8.GetBytes(json));

        Assert.NotNull(problem);
        Assert.StartsWith(start, problem, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_string_with_invalid_UTF8_is_malformed_and_located()
    {
        byte[] json = [.. "[1,\n \""u8, 0xC3, 0x28, .. "\"]"u8];

        Assert.StartsWith("malformed JSON at line 2, position 2: ", JsonSyntax.Problem(json), StringComparison.Ordinal);
    }

    [Fact]
    public void An_escaped_lone_surrogate_is_malformed()
    {
        Assert.StartsWith("malformed JSON at line 1, position 2: ", JsonSyntax.Problem("[\"\\uD800\"]"u8), StringComparison.Ordinal);
    }
}
