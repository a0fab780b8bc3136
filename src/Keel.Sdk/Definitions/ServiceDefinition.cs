using Keel.Protocol.Manifest;

namespace Keel.Sdk;

/// <summary>A service, object or workflow class and its handlers.</summary>
public sealed class ServiceDefinition
{
    internal ServiceDefinition(string name, ServiceType type, Type clrType, IReadOnlyDictionary<string, HandlerDefinition> handlers)
    {
        Name = name;
        Type = type;
        ClrType = clrType;
        Handlers = handlers;
    }

    public string Name { get; }

    public ServiceType Type { get; }

    public Type ClrType { get; }

    public IReadOnlyDictionary<string, HandlerDefinition> Handlers { get; }

    /// <summary>Reads the definition from an attributed class; throws <see cref="InvalidServiceDefinitionException"/> with every problem found.</summary>
    public static ServiceDefinition For<T>() => ServiceDefinitionReader.Read(typeof(T));

    public static ServiceDefinition For(Type type) => ServiceDefinitionReader.Read(type);
}

/// <summary>A service class breaks the handler rules; the message lists each problem.</summary>
public sealed class InvalidServiceDefinitionException : Exception
{
    public InvalidServiceDefinitionException() { }

    public InvalidServiceDefinitionException(string message) : base(message) { }

    public InvalidServiceDefinitionException(string message, Exception inner) : base(message, inner) { }
}
