using System.Net;
using Keel.Server.Admin;
using Keel.Server.Hosting;

namespace Keel.Server.Tests.Admin;

public class VersionAndIdsTests
{
    [Fact]
    public async Task Version_reports_a_semver_at_least_1_5_the_admin_api_range_the_ingress_url_and_features()
    {
        await using var host = await AdminHost.StartAsync(options: new AdminOptions { IngressUrl = "http://127.0.0.1:18080/" });

        var version = await host.GetAsync("/version");

        Assert.Equal("""{"version":"1.7.0+keel.0.1.0","min_admin_api_version":2,"max_admin_api_version":4,"ingress_endpoint":"http://127.0.0.1:18080/","features":{}}""",
            version.Text());

        // Semver: MAJOR.MINOR.PATCH, then build metadata (dot-separated [0-9A-Za-z-] identifiers) that does not count in precedence.
        var text = (string)version["version"]!;
        Assert.Matches(@"^\d+\.\d+\.\d+\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$", text);
        Assert.True(Version.Parse(text.Split('+')[0]) >= new Version(1, 5, 0));
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Get, "/v4/version")).Status);
    }

    [Theory]
    [InlineData("127.0.0.1", 8080, "http://127.0.0.1:8080/")]
    [InlineData("0.0.0.0", 9000, "http://127.0.0.1:9000/")]
    [InlineData("::", 8080, "http://[::1]:8080/")]
    [InlineData("10.1.2.3", 8080, "http://10.1.2.3:8080/")]
    public void The_advertised_ingress_url_is_the_bind_address_or_loopback(string bind, int port, string expected)
    {
        Assert.Equal(expected, AdminOptions.IngressUrlOf(bind, port));
        Assert.Equal(expected, AdminOptions.From(new ServerSettings { BindAddress = bind, IngressPort = port }).IngressUrl);
    }

    [Fact]
    public void Deployment_ids_read_like_restates_and_decode_to_their_creation_time()
    {
        var now = new DateTimeOffset(2026, 12, 1, 0, 32, 52, 78, TimeSpan.Zero);

        var id = DeploymentIds.New(now);

        Assert.Matches("^dp_1[0-9a-zA-Z]{22}$", id);
        Assert.True(DeploymentIds.TryParse(id, out var ulid));
        Assert.Equal(now.ToUnixTimeMilliseconds(), (long)(ulong)(ulid >> 80));
        Assert.Equal(id, DeploymentIds.Format(ulid));

        // An id restate-server 1.7.12 created at that moment.
        Assert.True(DeploymentIds.TryParse("dp_12O1F9s1w4XsS6UBskX7cul", out var restate));
        Assert.Equal(now.ToUnixTimeMilliseconds(), (long)(ulong)(restate >> 80));
    }

    [Theory]
    [InlineData("dp_12O1F9s1w4XsS6UBskX7cu")]
    [InlineData("dp_22O1F9s1w4XsS6UBskX7cul")]
    [InlineData("inv_12O1F9s1w4XsS6UBskX7cu")]
    [InlineData("dp_12O1F9s1w4XsS6UBskX7c-l")]
    [InlineData("dp_1zzzzzzzzzzzzzzzzzzzzzz")]
    public void Malformed_deployment_ids_are_refused(string text) => Assert.False(DeploymentIds.TryParse(text, out _));
}
