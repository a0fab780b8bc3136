using Keel.Protocol.Framing;
using Keel.Protocol.Manifest;

namespace Keel.Sdk;

/// <summary>The services an endpoint serves, and the manifest that describes them at discovery.</summary>
public sealed class ServiceRegistry
{
    private readonly Dictionary<string, ServiceDefinition> _services = new(StringComparer.Ordinal);

    public IReadOnlyCollection<ServiceDefinition> Services => _services.Values;

    public ServiceRegistry Add(ServiceDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (!_services.TryAdd(definition.Name, definition))
        {
            throw new InvalidServiceDefinitionException($"A service named '{definition.Name}' is already registered.");
        }

        return this;
    }

    public ServiceRegistry Add<T>() => Add(ServiceDefinition.For<T>());

    public bool TryGetHandler(string service, string handler, out ServiceDefinition definition, out HandlerDefinition handlerDefinition)
    {
        handlerDefinition = null!;
        return _services.TryGetValue(service, out definition!) && definition.Handlers.TryGetValue(handler, out handlerDefinition!);
    }

    public EndpointManifest BuildManifest(ProtocolMode mode) => new()
    {
        ProtocolMode = mode,
        MinProtocolVersion = ServiceProtocolVersions.MinSupported,
        MaxProtocolVersion = ServiceProtocolVersions.MaxSupported,
        Services = _services.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => new ServiceManifest
        {
            Name = s.Name,
            Ty = s.Type,
            Handlers = s.Handlers.Values.OrderBy(h => h.Name, StringComparer.Ordinal).Select(h => new HandlerManifest
            {
                Name = h.Name,
                Ty = h.Kind,
                Input = new InputPayload { Required = false, ContentType = Serde.ContentTypeFor(h.InputType ?? typeof(object)) },
                Output = new OutputPayload { SetContentTypeIfEmpty = false, ContentType = Serde.ContentTypeFor(h.OutputType ?? typeof(object)) },
            }).ToList(),
        }).ToList(),
    };
}
