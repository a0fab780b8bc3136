using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Server.Admin;
using Keel.Server.Contracts;
using Keel.Server.Tests.Admin;

namespace Keel.Server.Tests.Ingress;

public class DelayLimitTests
{
    private static async Task<AdminHost> StartAsync()
    {
        var host = await AdminHost.StartAsync();
        var deployment = new DeploymentInfo(DeploymentIds.New(DateTimeOffset.UtcNow), new Uri("http://127.0.0.1:1/"), ProtocolMode.BidiStream,
            DeploymentHttpVersion.Http2PriorKnowledge, 5, 6, new Dictionary<string, string>(), null, DateTimeOffset.UtcNow);
        host.Schema.Register(deployment, SchemaRegistry.ServicesFromManifest(Manifests.Of(Manifests.Greeter())), overwrite: false, allowBreaking: false, dryRun: false);
        return host;
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(AdminHost host, string delay)
    {
        using var response = await host.Ingress.PostAsync(new Uri($"/Greeter/greet/send?delay={Uri.EscapeDataString(delay)}", UriKind.Relative),
            new StringContent("\"hi\"", Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Theory]
    [InlineData("36501d")]
    [InlineData("P40000D")]
    [InlineData("9000000d")]
    public async Task A_delay_over_the_maximum_is_a_400_naming_the_maximum_and_submits_nothing(string delay)
    {
        await using var host = await StartAsync();

        var (status, body) = await SendAsync(host, delay);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(400, (int)body!["code"]!);
        Assert.Contains("36500d (100 years)", (string)body["message"]!, StringComparison.Ordinal);
        Assert.Empty(host.Runtime.Submitted);
    }

    [Fact]
    public async Task A_delay_too_large_for_any_duration_is_a_400_naming_the_maximum()
    {
        await using var host = await StartAsync();

        var (status, body) = await SendAsync(host, "99999999999999999999d");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("it is too large", (string)body!["message"]!, StringComparison.Ordinal);
        Assert.Contains("The largest delay is 36500d (100 years).", (string)body["message"]!, StringComparison.Ordinal);
        Assert.Empty(host.Runtime.Submitted);
    }

    [Fact]
    public async Task The_maximum_delay_itself_is_accepted_and_scheduled_that_far_ahead()
    {
        await using var host = await StartAsync();
        var before = DateTimeOffset.UtcNow;

        var (status, _) = await SendAsync(host, "36500d");

        Assert.Equal(HttpStatusCode.Accepted, status);
        var at = Assert.Single(host.Runtime.Submitted).ExecutionTime!.Value;
        Assert.InRange(at, before + TimeSpan.FromDays(36_500), DateTimeOffset.UtcNow + TimeSpan.FromDays(36_500));
    }
}
