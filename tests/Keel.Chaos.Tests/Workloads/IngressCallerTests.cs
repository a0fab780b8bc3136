using System.Net;
using Keel.Chaos.Workloads;

namespace Keel.Chaos.Tests.Workloads;

public class IngressCallerTests
{
    private const string NotServed = """{"code":503,"message":"Partition 7 is not served by this node."}""";

    private static HttpResponseMessage Answer(HttpStatusCode status, string? invocationId = null)
    {
        var response = new HttpResponseMessage(status);
        if (invocationId is not null)
        {
            response.Headers.Add("x-restate-id", invocationId);
        }

        return response;
    }

    [Fact]
    public void A_503_saying_the_partition_is_not_served_here_is_not_accepted()
    {
        using var response = Answer(HttpStatusCode.ServiceUnavailable);

        Assert.True(IngressCaller.NotAccepted(response, NotServed));
    }

    [Fact]
    public void The_same_503_for_a_moved_invocation_with_its_id_may_have_been_accepted()
    {
        using var response = Answer(HttpStatusCode.ServiceUnavailable, "inv_1abc");

        Assert.False(IngressCaller.NotAccepted(response, NotServed));
    }

    [Theory]
    [InlineData("""{"code":503,"message":"Partition 7 is unavailable: its node could not be reached (Connection refused (127.0.0.1:1))"}""")]
    [InlineData("""{"code":503,"message":"Partition 7 is unavailable: the partition is stopping"}""")]
    [InlineData("""{"code":503,"message":"Exception while reading from stream"}""")]
    [InlineData("""{"code":503,"message":"Partition 7 is not served by this node. Or so it says"}""")]
    [InlineData("not json")]
    public void Any_other_503_may_have_been_accepted(string body)
    {
        using var response = Answer(HttpStatusCode.ServiceUnavailable);

        Assert.False(IngressCaller.NotAccepted(response, body));
    }

    [Fact]
    public void Another_status_with_the_same_message_is_not_this_rule()
    {
        using var response = Answer(HttpStatusCode.InternalServerError);

        Assert.False(IngressCaller.NotAccepted(response, NotServed));
    }
}
