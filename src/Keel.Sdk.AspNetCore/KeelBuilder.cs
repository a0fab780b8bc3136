using Keel.Protocol.Manifest;

namespace Keel.Sdk.AspNetCore;

/// <summary>Collects the services an endpoint serves.</summary>
public sealed class KeelBuilder
{
    internal ServiceRegistry Registry { get; } = new();

    /// <summary>BIDI_STREAM (HTTP/2, the default) or REQUEST_RESPONSE (e.g. HTTP/1.1).</summary>
    public ProtocolMode ProtocolMode { get; set; } = ProtocolMode.BidiStream;

    public KeelBuilder AddService<T>()
    {
        Registry.Add<T>();
        return this;
    }

    public KeelBuilder AddService(Type type)
    {
        Registry.Add(ServiceDefinition.For(type));
        return this;
    }
}
