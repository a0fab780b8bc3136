using System.Reflection;
using Keel.Protocol.Manifest;

namespace Keel.Sdk;

/// <summary>A handler found on a service class: its wire name, kind, payload types and how to invoke it.</summary>
public sealed class HandlerDefinition
{
    private readonly int? _cancellationTokenPosition;

    internal HandlerDefinition(string serviceName, string name, HandlerType? kind, MethodInfo method, ParameterInfo? inputParameter, int? cancellationTokenPosition, Type? outputType)
    {
        _cancellationTokenPosition = cancellationTokenPosition;
        ServiceName = serviceName;
        Name = name;
        Kind = kind;
        Method = method;
        InputParameter = inputParameter;
        InputType = inputParameter?.ParameterType;
        OutputType = outputType;
        InputRequired = inputParameter is not null && !IsNullable(inputParameter);
    }

    /// <summary>The wire name of the service the handler belongs to.</summary>
    public string ServiceName { get; }

    /// <summary>The handler's wire name (what callers and the manifest use).</summary>
    public string Name { get; }

    /// <summary>Null for plain services.</summary>
    public HandlerType? Kind { get; }

    /// <summary>The C# method the handler runs.</summary>
    public MethodInfo Method { get; }

    /// <summary>Null when the handler takes only the context.</summary>
    public Type? InputType { get; }

    /// <summary>True when the input parameter is not nullable: a request without a body (or JSON <c>null</c>) fails with 400.</summary>
    public bool InputRequired { get; }

    /// <summary>Null when the handler returns no value.</summary>
    public Type? OutputType { get; }

    internal ParameterInfo? InputParameter { get; }

    /// <summary>True when the handler declares a <see cref="CancellationToken"/> parameter (bound by the SDK, not part of the input).</summary>
    public bool TakesCancellationToken => _cancellationTokenPosition is not null;

    private static bool IsNullable(ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        if (type.IsValueType)
        {
            return Nullable.GetUnderlyingType(type) is not null;
        }

        // Oblivious (no nullable context) counts as nullable: only a declared non-null is enforced.
        // One context per read: NullabilityInfoContext is not thread-safe, and endpoints built at the
        // same time (tests, several hosts in one process) read definitions concurrently.
        return new NullabilityInfoContext().Create(parameter).ReadState != NullabilityState.NotNull;
    }

    /// <summary>Deserializes the input: a missing or null input for a non-nullable parameter is a terminal 400.</summary>
    internal object? ReadInput(ReadOnlyMemory<byte> input, JsonSerde? serde = null)
    {
        var type = InputType!;
        serde ??= JsonSerde.Default;
        if (InputRequired && input.IsEmpty && !Serde.IsRaw(type))
        {
            throw MissingInput(type, serde);
        }

        var value = serde.Deserialize(input, type, $"the input '{InputParameter!.Name}' of {ServiceName}/{Name}");
        return value is null && InputRequired ? throw MissingInput(type, serde) : value;
    }

    // In JSON terms: the caller sent JSON, perhaps from another language, so a CLR type name would not help them.
    private TerminalException MissingInput(Type type, JsonSerde serde)
    {
        var wanted = serde.KindOf(type) is { } kind ? PayloadProblems.Expected(kind) : "a JSON value";
        return new(
            $"Handler {ServiceName}/{Name} ({Method.DeclaringType?.Name}.{Method.Name}) requires its input '{InputParameter!.Name}' ({wanted}), " +
            $"but the request had no body or a JSON null. Send {wanted}, or declare the parameter nullable to accept a missing input.",
            400);
    }

    /// <summary>Invokes the handler on <paramref name="instance"/> and serializes its result.</summary>
    internal async Task<byte[]> InvokeAsync(object instance, IContext context, ReadOnlyMemory<byte> input, CancellationToken cancellationToken = default, JsonSerde? serde = null)
    {
        var arguments = new object?[Method.GetParameters().Length];
        arguments[0] = context;
        if (InputParameter is not null)
        {
            arguments[InputParameter.Position] = ReadInput(input, serde);
        }

        if (_cancellationTokenPosition is { } position)
        {
            arguments[position] = cancellationToken;
        }

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
        return OutputType is null ? [] : (serde ?? JsonSerde.Default).Serialize(result, OutputType);
    }
}
