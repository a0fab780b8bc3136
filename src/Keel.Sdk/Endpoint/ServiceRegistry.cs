using System.Text.Json;
using Keel.Protocol.Framing;
using Keel.Protocol.Manifest;

namespace Keel.Sdk;

/// <summary>The services an endpoint serves, and the manifest that describes them at discovery.</summary>
public sealed class ServiceRegistry
{
    private readonly Dictionary<string, ServiceDefinition> _services = new(StringComparer.Ordinal);

    /// <summary>The registered services.</summary>
    public IReadOnlyCollection<ServiceDefinition> Services => _services.Values;

    /// <summary>Adds a service; two services with one name are an error, since the runtime routes by name.</summary>
    public ServiceRegistry Add(ServiceDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (!_services.TryAdd(definition.Name, definition))
        {
            throw new InvalidServiceDefinitionException($"A service named '{definition.Name}' is already registered.");
        }

        return this;
    }

    /// <summary>Adds the attributed class <typeparamref name="T"/>.</summary>
    public ServiceRegistry Add<T>() => Add(ServiceDefinition.For<T>());

    /// <summary>Finds the handler an invocation names (service and handler wire names).</summary>
    public bool TryGetHandler(string service, string handler, out ServiceDefinition definition, out HandlerDefinition handlerDefinition)
    {
        handlerDefinition = null!;
        return _services.TryGetValue(service, out definition!) && definition.Handlers.TryGetValue(handler, out handlerDefinition!);
    }

    /// <summary>The discovery manifest the runtime reads on registration: services, handlers, payloads, options.</summary>
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
                Input = InputOf(h),
                Output = OutputOf(h),
            }).ToList(),
        }).ToList(),
    };

    /// <summary>
    /// As Restate's TypeScript SDK declares it: no input is <c>{}</c> (the runtime then accepts only an
    /// empty body without a content type); a nullable or raw input is optional (<c>required: false</c>); a
    /// non-nullable JSON input is <c>required: true</c> with the empty schema <c>{}</c> ("any JSON value").
    /// The schema is what makes restate-server 1.7 refuse an empty body that comes with a content type:
    /// with <c>required</c> alone it only refuses a request that has neither. Optional inputs carry no
    /// schema, as restate-server would then refuse a content type on an empty body too.
    /// </summary>
    internal static InputPayload InputOf(HandlerDefinition handler) => handler.InputType switch
    {
        null => new InputPayload(),
        var type when handler.InputRequired && !Serde.IsRaw(type) => new InputPayload
        {
            Required = true,
            ContentType = Serde.ContentTypeFor(type),
            JsonSchema = AnyJsonValue,
        },
        var type => new InputPayload { Required = false, ContentType = Serde.ContentTypeFor(type) },
    };

    private static readonly JsonElement AnyJsonValue = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>No output is <c>{"setContentTypeIfEmpty": false}</c> with no content type; otherwise the output's content type.</summary>
    internal static OutputPayload OutputOf(HandlerDefinition handler) => handler.OutputType switch
    {
        null => new OutputPayload { SetContentTypeIfEmpty = false },
        var type => new OutputPayload { SetContentTypeIfEmpty = false, ContentType = Serde.ContentTypeFor(type) },
    };
}
