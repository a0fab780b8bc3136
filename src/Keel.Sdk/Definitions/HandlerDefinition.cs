using System.Reflection;
using Keel.Protocol.Manifest;

namespace Keel.Sdk;

/// <summary>A handler found on a service class: its wire name, kind, payload types and how to invoke it.</summary>
public sealed class HandlerDefinition
{
    internal HandlerDefinition(string name, HandlerType? kind, MethodInfo method, Type? inputType, Type? outputType)
    {
        Name = name;
        Kind = kind;
        Method = method;
        InputType = inputType;
        OutputType = outputType;
    }

    public string Name { get; }

    /// <summary>Null for plain services.</summary>
    public HandlerType? Kind { get; }

    public MethodInfo Method { get; }

    /// <summary>Null when the handler takes only the context.</summary>
    public Type? InputType { get; }

    /// <summary>Null when the handler returns no value.</summary>
    public Type? OutputType { get; }

    /// <summary>Invokes the handler on <paramref name="instance"/> and serializes its result.</summary>
    internal async Task<byte[]> InvokeAsync(object instance, IContext context, ReadOnlyMemory<byte> input)
    {
        object?[] arguments = InputType is null ? [context] : [context, Serde.Deserialize(input, InputType)];
        object? returned;
        try
        {
            returned = Method.Invoke(instance, arguments);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }

        var result = await TaskResults.AwaitAsync(returned);
        return OutputType is null ? [] : Serde.Serialize(result, OutputType);
    }
}
