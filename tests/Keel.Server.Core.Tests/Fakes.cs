using Keel.Protocol.Manifest;
using Keel.Server.Contracts;

namespace Keel.Server.Core.Tests;

/// <summary>A schema with one deployment serving a service, an object and a workflow.</summary>
internal sealed class FakeSchema : ISchemaView
{
    private static readonly DeploymentInfo Deployment = new("dp_test", new Uri("http://127.0.0.1:1"), ProtocolMode.BidiStream,
        DeploymentHttpVersion.Http2PriorKnowledge, 5, 7, new Dictionary<string, string>(), "test", DateTimeOffset.UnixEpoch);

    private static readonly DeploymentInfo RequestResponseDeployment = Deployment with { Id = "dp_rr", Mode = ProtocolMode.RequestResponse };

    private readonly Dictionary<string, ServiceInfo> _services = new()
    {
        ["Batch"] = new("Batch", ServiceType.Service, RequestResponseDeployment.Id, new Dictionary<string, HandlerInfo> { ["run"] = new("run", HandlerType.Shared) }, 1),
        ["Greeter"] = Service("Greeter", ServiceType.Service, ("greet", HandlerType.Shared)),
        ["Counter"] = Service("Counter", ServiceType.VirtualObject, ("add", HandlerType.Exclusive), ("get", HandlerType.Shared)),
        ["Signup"] = Service("Signup", ServiceType.Workflow, ("run", HandlerType.Workflow), ("click", HandlerType.Shared)),
        ["Tuned"] = new("Tuned", ServiceType.VirtualObject, Deployment.Id, new Dictionary<string, HandlerInfo>
        {
            ["slow"] = new("slow", HandlerType.Exclusive, InactivityTimeout: TimeSpan.FromSeconds(5), EnableLazyState: true),
        }, 1, AbortTimeout: TimeSpan.FromMinutes(1)),
        ["Fragile"] = new("Fragile", ServiceType.Service, Deployment.Id, new Dictionary<string, HandlerInfo>
        {
            ["once"] = new("once", HandlerType.Shared, RetryPolicy: new RetryPolicySettings(MaxAttempts: 2, OnMaxAttempts: OnMaxAttempts.Kill)),
        }, 1, RetryPolicy: new RetryPolicySettings(InitialInterval: TimeSpan.FromSeconds(1))),
    };

    private static ServiceInfo Service(string name, ServiceType type, params (string Name, HandlerType Kind)[] handlers) =>
        new(name, type, Deployment.Id, handlers.ToDictionary(h => h.Name, h => new HandlerInfo(h.Name, h.Kind)), 1);

    public bool TryGetService(string service, out ServiceInfo info) => _services.TryGetValue(service, out info!);

    public bool TryGetHandler(string service, string handler, out ServiceInfo serviceInfo, out HandlerInfo handlerInfo)
    {
        handlerInfo = null!;
        return _services.TryGetValue(service, out serviceInfo!) && serviceInfo.Handlers.TryGetValue(handler, out handlerInfo!);
    }

    /// <summary>When set, deployment lookups throw (to make a command fail half-way through).</summary>
    public Exception? DeploymentLookupFailure { get; set; }

    public bool TryGetDeployment(string deploymentId, out DeploymentInfo deployment)
    {
        if (DeploymentLookupFailure is { } failure)
        {
            throw failure;
        }

        deployment = deploymentId == RequestResponseDeployment.Id ? RequestResponseDeployment
            : deploymentId == Deployment.Id ? Deployment : Deployment with { Id = deploymentId };
        return deploymentId == Deployment.Id || deploymentId == RequestResponseDeployment.Id || _redeployed.Contains(deploymentId);
    }

    private readonly HashSet<string> _redeployed = [];

    /// <summary>Forgets a service, as a force-deleted deployment does.</summary>
    public void Remove(string service) => _services.Remove(service);

    /// <summary>Registers the service again on a new deployment (same handlers), which becomes its current one.</summary>
    public void Redeploy(string service, string deploymentId)
    {
        _redeployed.Add(deploymentId);
        _services[service] = _services[service] with { DeploymentId = deploymentId };
    }
}
