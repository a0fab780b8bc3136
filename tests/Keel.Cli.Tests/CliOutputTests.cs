namespace Keel.Cli.Tests;

/// <summary>
/// The normalizer the CLI comparisons rely on: an age the CLI words differently as time passes (a shared fixture's
/// invocation is seconds old on a quiet machine and a minute old on a loaded one) must normalize the same.
/// </summary>
public sealed class CliOutputTests
{
    [Theory]
    [InlineData("pending (invoked 3 seconds ago)")]
    [InlineData("pending (invoked 2 seconds and 130 ms ago)")]
    [InlineData("pending (invoked a minute ago)")]
    [InlineData("pending (invoked an hour ago)")]
    [InlineData("pending (invoked 5 minutes ago)")]
    [InlineData("pending (invoked now ago)")]
    public void Every_wording_of_an_age_normalizes_to_one_duration(string line) =>
        Assert.Equal("pending (invoked <duration> ago)", CliOutput.Normalize(line));

    [Fact]
    public void Words_that_only_look_like_counts_are_kept() =>
        Assert.Equal("a key of an object", CliOutput.Normalize("a key of an object"));
}
