using System.Text.Json;
using Keel.Protocol.Manifest;

namespace Keel.Protocol.Tests;

public class ManifestTests
{
    [Fact]
    public void Manifest_writes_the_wire_names_and_omits_nulls()
    {
        var manifest = new EndpointManifest
        {
            ProtocolMode = ProtocolMode.BidiStream,
            MinProtocolVersion = 5,
            MaxProtocolVersion = 7,
            Services =
            [
                new ServiceManifest
                {
                    Name = "Counter",
                    Ty = ServiceType.VirtualObject,
                    Handlers = [new HandlerManifest { Name = "add", Ty = HandlerType.Exclusive }],
                },
            ],
        };

        using var json = JsonDocument.Parse(manifest.ToJson());
        var root = json.RootElement;
        Assert.Equal("BIDI_STREAM", root.GetProperty("protocolMode").GetString());
        var service = root.GetProperty("services")[0];
        Assert.Equal("VIRTUAL_OBJECT", service.GetProperty("ty").GetString());
        Assert.Equal("EXCLUSIVE", service.GetProperty("handlers")[0].GetProperty("ty").GetString());
        Assert.False(service.TryGetProperty("documentation", out _));
    }

    [Fact]
    public void Manifest_reads_a_typescript_style_document()
    {
        const string json = """
            {"protocolMode":"REQUEST_RESPONSE","minProtocolVersion":5,"maxProtocolVersion":7,
             "services":[{"name":"Signup","ty":"WORKFLOW","workflowCompletionRetention":86400000,
               "handlers":[{"name":"run","ty":"WORKFLOW","workflowCompletionRetention":1000,
                 "input":{"required":false,"contentType":"application/json"}},{"name":"click","ty":"SHARED"}]}]}
            """;
        var manifest = EndpointManifest.FromJson(json.Replace("\"workflowCompletionRetention\":86400000,", "", StringComparison.Ordinal));
        Assert.Equal(ProtocolMode.RequestResponse, manifest.ProtocolMode);
        Assert.Equal(ServiceType.Workflow, manifest.Services[0].Ty);
        Assert.Equal(1000, manifest.Services[0].Handlers[0].WorkflowCompletionRetention);
        Assert.Equal(HandlerType.Shared, manifest.Services[0].Handlers[1].Ty);
    }
}
