using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Server.Admin;
using Keel.Server.Contracts;
using Keel.Server.Tests.Admin;

namespace Keel.Server.Tests.Ingress;

public class IngressHintsTests
{
    private static async Task<AdminHost> StartAsync()
    {
        var host = await AdminHost.StartAsync();
        var manifest = Manifests.Of(
            new ServiceManifest { Name = "Checkout", Ty = ServiceType.Service, Handlers = [Manifests.Handler("placeOrder")] },
            Manifests.Counter());
        var services = SchemaRegistry.ServicesFromManifest(manifest);
        var deployment = new DeploymentInfo(DeploymentIds.New(DateTimeOffset.UtcNow), new Uri("http://127.0.0.1:1/"), ProtocolMode.BidiStream,
            DeploymentHttpVersion.Http2PriorKnowledge, 5, 6, new Dictionary<string, string>(), null, DateTimeOffset.UtcNow);
        host.Schema.Register(deployment, services, overwrite: false, allowBreaking: false, dryRun: false);
        return host;
    }

    private static async Task<(HttpStatusCode Status, string Message)> PostAsync(AdminHost host, string path, string body = "{}")
    {
        using var response = await host.Ingress.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? string.Empty : (string)JsonNode.Parse(text)!["message"]!);
    }

    [Theory]
    [InlineData("/Checkout/PlaceOrder", "Handler 'Checkout/PlaceOrder' not found. Did you mean /Checkout/placeOrder?")]
    [InlineData("/checkout/placeOrder", "Service 'checkout' not found. Did you mean /Checkout/placeOrder?")]
    [InlineData("/CHECKOUT/PLACEORDER/send", "Service 'CHECKOUT' not found. Did you mean /Checkout/placeOrder/send?")]
    [InlineData("/counter/my-key/Add", "Service 'counter' not found. Did you mean /Counter/my-key/add?")]
    [InlineData("/Counter/my-key/ADD", "Handler 'Counter/ADD' not found. Did you mean /Counter/my-key/add?")]
    public async Task A_path_that_differs_only_in_case_gets_a_404_that_names_the_right_path(string path, string message)
    {
        await using var host = await StartAsync();

        var (status, text) = await PostAsync(host, path);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.StartsWith(message, text, StringComparison.Ordinal);
        Assert.Empty(host.Runtime.Submitted);
    }

    [Theory]
    [InlineData("/Checkout/pay", "Handler 'Checkout/pay' not found.")]
    [InlineData("/Shipping/send", "Service 'Shipping' not found.")]
    public async Task A_path_with_no_near_match_gets_a_plain_404(string path, string message)
    {
        await using var host = await StartAsync();

        var (status, text) = await PostAsync(host, path);

        Assert.Equal((HttpStatusCode.NotFound, message), (status, text));
    }

    [Fact]
    public async Task The_exact_path_still_invokes()
    {
        await using var host = await StartAsync();

        var (status, _) = await PostAsync(host, "/Checkout/placeOrder");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("Checkout", "placeOrder"), (host.Runtime.Submitted.Single().Service, host.Runtime.Submitted.Single().Handler));
    }

    [Theory]
    [InlineData("/restate/awakeables/not-an-id/resolve")]
    [InlineData("/restate/awakeables/sign_1garbage!!/resolve")]
    [InlineData("/restate/awakeables/sign_1AAAA/reject")]
    [InlineData("/restate/a/prom_1xyz/resolve")]
    [InlineData("/restate/awakeables/sign_1%ZZ/resolve")]
    [InlineData("/restate/awakeables/inv_1abc/reject")]
    public async Task Completing_an_awakeable_with_a_malformed_id_is_a_400(string path)
    {
        await using var host = await StartAsync();

        var (status, message) = await PostAsync(host, path, "\"value\"");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("is not an awakeable id", message, StringComparison.Ordinal);
        Assert.Empty(host.Runtime.Awakeables);
    }

    [Fact]
    public async Task A_well_formed_awakeable_id_is_resolved()
    {
        await using var host = await StartAsync();
        var id = new AwakeableId(InvocationId.New(), 3);

        var (status, _) = await PostAsync(host, $"/restate/awakeables/{id}/resolve", "\"value\"");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(id, host.Runtime.Awakeables.Single().Id);
    }
}
