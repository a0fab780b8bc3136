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

    /// <summary>The wire name: the class name unless the attribute renames it.</summary>
    public string Name { get; }

    /// <summary>Service, virtual object or workflow.</summary>
    public ServiceType Type { get; }

    /// <summary>The class that implements the handlers.</summary>
    public Type ClrType { get; }

    /// <summary>The handlers by wire name.</summary>
    public IReadOnlyDictionary<string, HandlerDefinition> Handlers { get; }

    /// <summary>Reads the definition from an attributed class; throws <see cref="InvalidServiceDefinitionException"/> with every problem found.</summary>
    public static ServiceDefinition For<T>() => ServiceDefinitionReader.Read(typeof(T));

    /// <summary>Reads the definition from an attributed class; throws <see cref="InvalidServiceDefinitionException"/> with every problem found.</summary>
    public static ServiceDefinition For(Type type) => ServiceDefinitionReader.Read(type);
}

/// <summary>A service class breaks the handler rules; the message lists each problem.</summary>
public sealed class InvalidServiceDefinitionException : Exception
{
    /// <summary>A definition error without details.</summary>
    public InvalidServiceDefinitionException() { }

    /// <summary>A definition error listing the problems found.</summary>
    public InvalidServiceDefinitionException(string message) : base(message) { }

    /// <summary>A definition error, keeping the exception that caused it.</summary>
    public InvalidServiceDefinitionException(string message, Exception inner) : base(message, inner) { }
}
