using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Protocol.Messages;
using Keel.Server.Admin;
using Keel.Server.Contracts;
using Keel.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Server.Tests.Admin;

/// <summary>
/// The invocation and state endpoints over a real runtime (in-memory storage; the test plays the
/// deployment by feeding the attempt's effects): Restate's status codes and JSON error bodies.
/// </summary>
public sealed class InvocationControlEndpointsTests : IAsyncLifetime
{
    private readonly CapturingInvoker _invoker = new();
    private KeelRuntime _runtime = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var schema = new Schema();
        _runtime = new KeelRuntime(new RuntimeOptions { DataDirectory = "unused", Partitions = 1 }, schema, _invoker, TimeProvider.System);
        await _runtime.StartAsync(new MemoryStore());
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        var group = _app.MapGroup("");
        InvocationEndpoints.Map(group, _runtime);
        StateEndpoints.Map(group, schema, _runtime);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
        await _runtime.DisposeAsync();
    }

    private Task<HttpResponseMessage> Patch(string path) => _http.PatchAsync(new Uri(path, UriKind.Relative), null);

    private async Task<InvokeRequest> StartAsync(string service, string handler, string? key = null)
    {
        var submitted = await _runtime.SubmitAsync(new InvocationRequest(service, handler, key, "\"in\""u8.ToArray(), [], null, IsSend: true), CancellationToken.None);
        return await _invoker.AttemptOf(submitted.Id);
    }

    private async Task FinishAsync(InvokeRequest attempt)
    {
        var output = new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8("\"out\"") } };
        _runtime.Submit(new InvokerEffect.Command(attempt.Id, attempt.Attempt, 1, new JournalEntry(MessageType.OutputCommand, output.ToByteArray()), false));
        _runtime.Submit(new InvokerEffect.Ended(attempt.Id, attempt.Attempt));
        var result = await _runtime.GetOutputAsync(new InvocationQuery.ById(attempt.Id), wait: true, CancellationToken.None);
        Assert.Equal(OutputStatus.Ready, result.Status);
    }

    private static async Task AssertError(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Pause_resume_and_cancel_a_running_invocation()
    {
        var attempt = await StartAsync("Counter", "add", "k");
        Assert.Equal(HttpStatusCode.Accepted, (await Patch($"/invocations/{attempt.Id}/pause")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Patch($"/invocations/{attempt.Id}/pause")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Patch($"/invocations/{attempt.Id}/resume?deployment=latest")).StatusCode);
        var resumed = await _invoker.AttemptOf(attempt.Id, attempt.Attempt + 1);
        Assert.Equal(HttpStatusCode.Accepted, (await Patch($"/invocations/{attempt.Id}/cancel")).StatusCode);
        await FinishAsync(resumed);
        await AssertError(await Patch($"/invocations/{attempt.Id}/cancel"), HttpStatusCode.Conflict);
        await AssertError(await Patch($"/invocations/{attempt.Id}/pause"), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Restart_as_new_answers_the_new_id_until_the_journal_is_purged()
    {
        var attempt = await StartAsync("Greeter", "greet");
        await AssertError(await Patch($"/invocations/{attempt.Id}/restart-as-new"), HttpStatusCode.Conflict);
        await AssertError(await Patch($"/invocations/{attempt.Id}/purge"), HttpStatusCode.Conflict);
        await FinishAsync(attempt);

        var restarted = await Patch($"/invocations/{attempt.Id}/restart-as-new");
        Assert.Equal(HttpStatusCode.OK, restarted.StatusCode);
        var newId = (await restarted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("new_invocation_id").GetString();
        Assert.True(InvocationId.TryParse(newId, out var parsed));
        Assert.Equal("\"in\"", InputCommandMessage.Parser.ParseFrom((await _invoker.AttemptOf(parsed)).Journal[0].Payload.Span).Value.Content.ToStringUtf8());

        Assert.Equal(HttpStatusCode.OK, (await Patch($"/invocations/{attempt.Id}/purge-journal")).StatusCode);
        await AssertError(await Patch($"/invocations/{attempt.Id}/restart-as-new"), HttpStatusCode.Gone);
        Assert.Equal(HttpStatusCode.OK, (await Patch($"/invocations/{attempt.Id}/purge")).StatusCode);
        await AssertError(await Patch($"/invocations/{attempt.Id}/purge"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/invocations/not-an-id/cancel", HttpStatusCode.BadRequest)]
    [InlineData("/invocations/inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/kill", HttpStatusCode.BadRequest)]
    [InlineData("/invocations/{id}/explode", HttpStatusCode.NotFound)]
    [InlineData("/invocations/{id}/resume?deployment=elsewhere", HttpStatusCode.BadRequest)]
    [InlineData("/invocations/{id}/resume?deployment=dp_1NotRegistered00000000000", HttpStatusCode.BadRequest)]
    [InlineData("/invocations/{unknown}/kill", HttpStatusCode.NotFound)]
    public async Task Bad_requests_get_a_JSON_error_and_change_nothing(string path, HttpStatusCode expected)
    {
        var attempt = await StartAsync("Greeter", "greet");
        var unknown = InvocationId.New();
        await AssertError(await Patch(path.Replace("{id}", attempt.Id.ToString(), StringComparison.Ordinal).Replace("{unknown}", unknown.ToString(), StringComparison.Ordinal)), expected);
        var output = await _runtime.GetOutputAsync(new InvocationQuery.ById(attempt.Id), wait: false, CancellationToken.None);
        Assert.Equal(OutputStatus.NotReady, output.Status);
    }

    [Fact]
    public async Task State_of_an_object_key_is_replaced_when_it_is_free()
    {
        var body = new { object_key = "mary", new_state = new Dictionary<string, byte[]>() };
        var locked = await StartAsync("Counter", "add", "mary");
        await AssertError(await _http.PostAsync(new Uri("/services/Counter/state", UriKind.Relative),
            new StringContent("""{"version":null,"object_key":"mary","new_state":{"total":[55]}}""", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.Conflict);
        await FinishAsync(locked);

        var accepted = await _http.PostAsync(new Uri("/services/Counter/state", UriKind.Relative),
            new StringContent("""{"version":"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU","object_key":"mary","new_state":{"total":[55]}}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        using var snapshot = _runtime.OpenIntrospection();
        var state = Assert.Single(snapshot.State());
        Assert.Equal(("mary", "total", "7"), (state.ServiceKey, state.Key, System.Text.Encoding.UTF8.GetString(state.Value)));

        await AssertError(await _http.PostAsJsonAsync("/services/Greeter/state", body), HttpStatusCode.BadRequest);
        await AssertError(await _http.PostAsJsonAsync("/services/Nope/state", new { object_key = "k", new_state = new Dictionary<string, int[]> { ["a"] = [1] } }), HttpStatusCode.NotFound);
        await AssertError(await _http.PostAsync(new Uri("/services/Counter/state", UriKind.Relative), new StringContent("{\"object_key\":1}", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        await AssertError(await _http.PostAsync(new Uri("/services/Counter/state", UriKind.Relative),
            new StringContent("""{"object_key":"mary","new_state":{"total":[300]}}""", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
    }

    /// <summary>Records every attempt the runtime starts; tests wait for the one they need.</summary>
    private sealed class CapturingInvoker : IInvoker
    {
        private readonly object _gate = new();
        private readonly List<InvokeRequest> _started = [];

        public void Start(InvokeRequest request)
        {
            lock (_gate)
            {
                _started.Add(request);
                Monitor.PulseAll(_gate);
            }
        }

        public void Push(InvocationId id, int attempt, ReadOnlyMemory<byte> encodedFrame)
        {
        }

        public void Abort(InvocationId id, int attempt)
        {
        }

        public Task<InvokeRequest> AttemptOf(InvocationId id, int attempt = 1) => Task.Run(() =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            lock (_gate)
            {
                while (true)
                {
                    if (_started.FirstOrDefault(r => r.Id == id && r.Attempt == attempt) is { } found)
                    {
                        return found;
                    }

                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero)
                    {
                        throw new TimeoutException($"Attempt {attempt} of {id} never started.");
                    }

                    Monitor.Wait(_gate, left);
                }
            }
        });
    }

    private sealed class Schema : ISchemaView
    {
        private static readonly DeploymentInfo Deployment = new("dp_1TestDeployment00000000000", new Uri("http://127.0.0.1:1"), ProtocolMode.BidiStream,
            DeploymentHttpVersion.Http2PriorKnowledge, 5, 6, new Dictionary<string, string>(), "test", DateTimeOffset.UnixEpoch);

        private readonly Dictionary<string, ServiceInfo> _services = new()
        {
            ["Greeter"] = new("Greeter", ServiceType.Service, Deployment.Id, new Dictionary<string, HandlerInfo> { ["greet"] = new("greet", HandlerType.Shared) }, 1),
            ["Counter"] = new("Counter", ServiceType.VirtualObject, Deployment.Id, new Dictionary<string, HandlerInfo> { ["add"] = new("add", HandlerType.Exclusive) }, 1),
        };

        public bool TryGetService(string service, out ServiceInfo info) => _services.TryGetValue(service, out info!);

        public bool TryGetHandler(string service, string handler, out ServiceInfo serviceInfo, out HandlerInfo handlerInfo)
        {
            handlerInfo = null!;
            return _services.TryGetValue(service, out serviceInfo!) && serviceInfo.Handlers.TryGetValue(handler, out handlerInfo!);
        }

        public bool TryGetDeployment(string deploymentId, out DeploymentInfo deployment)
        {
            deployment = Deployment;
            return deploymentId == Deployment.Id;
        }
    }
}
