using Keel.Protocol.Ids;

namespace Keel.Protocol.Tests;

public class IdTests
{
    private const string Sample = "inv_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hbz";
    private static readonly byte[] SampleBytes = Convert.FromHexString("493c42ed1c3cf1bc018e5257b998007db7f4f3f47e809584");

    [Fact]
    public void Sample_invocation_id_decodes_to_the_known_bytes()
    {
        var id = InvocationId.Parse(Sample);
        Assert.Equal(SampleBytes, id.ToBytes());
        Assert.Equal(0x493c42ed1c3cf1bcUL, id.PartitionKey);
    }

    [Fact]
    public void Invocation_id_round_trips_through_text_and_bytes()
    {
        Assert.Equal(Sample, InvocationId.FromBytes(SampleBytes).ToString());
        var fresh = InvocationId.New();
        Assert.Equal(fresh, InvocationId.Parse(fresh.ToString()));
        Assert.Equal(InvocationId.StringLength, fresh.ToString().Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("inv_2gdJBtdVEcM942bjcDmb1c1khoaJe11Hbz")]
    [InlineData("inv_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hb!")]
    [InlineData("prom_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hbz")]
    public void Malformed_invocation_ids_are_rejected(string text) => Assert.False(InvocationId.TryParse(text, out _));

    [Fact]
    public void Awakeable_id_matches_the_known_vector()
    {
        var awakeable = new AwakeableId(InvocationId.Parse(Sample), 17);
        Assert.Equal("sign_1STxC7Rw88bwBjlJXuZgAfbf08_R-gJWEAAAAEQ", awakeable.ToString());
        Assert.True(AwakeableId.TryParse(awakeable.ToString(), out var parsed));
        Assert.Equal(awakeable, parsed);
        Assert.True(AwakeableId.TryParse(awakeable + "==", out _));
    }

    [Theory]
    [InlineData("sign_1")]
    [InlineData("sign_1!!!!")]
    [InlineData("sign_1STxC7Rw88bwBjlJXuZgAfbf08_R+gJWEAAAAEQ")]
    [InlineData("sign_1STxC7Rw88bwBjlJXuZgAfbf08_R-gJWEAAAA")]
    [InlineData("sign_1 STxC7Rw88bwBjlJXuZgAfbf08_R-gJWEAAAAEQ")]
    [InlineData("sign_1STxC7Rw88bwBjlJXuZgAfbf08_R-gJWEAAAAEQSTxC7Rw88bwBjlJXuZgAfbf08_R-gJWEAAAAEQSTxC7Rw88bwBjlJXuZgAfbf08_R-gJWEAAAAEQ")]
    [InlineData("prom_1STxC7Rw88bwBjlJXuZgAfbf08_R-gJWEAAAAEQ")]
    public void Malformed_awakeable_ids_are_rejected_without_throwing(string text) => Assert.False(AwakeableId.TryParse(text, out _));

    [Fact]
    public void Deterministic_ids_depend_only_on_their_inputs()
    {
        Assert.Equal(InvocationId.Deterministic(7, "wf", "Signup", "a"), InvocationId.Deterministic(7, "wf", "Signup", "a"));
        Assert.NotEqual(InvocationId.Deterministic(7, "wf", "Signup", "a"), InvocationId.Deterministic(7, "wf", "Signup", "b"));
    }
}
