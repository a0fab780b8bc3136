using System.IO.Pipelines;
using Keel.Protocol.Framing;
using Keel.Sdk.Core;
using Keel.Sdk.Internal;

namespace Keel.Sdk;

/// <summary>Runs one invocation of a handler over a request/response byte stream (transport-agnostic).</summary>
public static class InvocationRunner
{
    /// <summary>Runs the handler to completion or suspension, reading the runtime's messages and writing the journal's.</summary>
    /// <param name="handler">The handler to invoke.</param>
    /// <param name="version">The protocol version negotiated from the request's content type.</param>
    /// <param name="input">The request body: the runtime's messages.</param>
    /// <param name="output">The response body: the endpoint's messages.</param>
    /// <param name="instanceFactory">Creates the service class instance (e.g. through dependency injection).</param>
    /// <param name="time">The clock for timers and <c>NowAsync</c>; the system clock when null.</param>
    /// <param name="cancellationToken">Aborts the attempt (the connection closed); the runtime retries it.</param>
    /// <param name="logger">Receives handler and replay-aware logs; none when null.</param>
    /// <param name="json">The endpoint's JSON options (one instance per endpoint); null for the defaults.</param>
    public static Task RunAsync(
        HandlerDefinition handler,
        ServiceProtocolVersion version,
        PipeReader input,
        PipeWriter output,
        Func<Type, object> instanceFactory,
        TimeProvider? time = null,
        CancellationToken cancellationToken = default,
        Microsoft.Extensions.Logging.ILogger? logger = null,
        KeelJsonOptions? json = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(instanceFactory);
        var serde = json is null ? JsonSerde.Default : SerdeCache.For(json);
        var driver = new InvocationDriver(new Vm(version), time ?? TimeProvider.System, logger, handler.ServiceName, handler.Name, serde);
        return driver.RunAsync(input, output, context =>
        {
            var instance = instanceFactory(handler.Method.DeclaringType!);
            return handler.InvokeAsync(instance, context, context.Input.Input, driver.HandlerCancellation, serde);
        }, cancellationToken);
    }
}

/// <summary>One <see cref="JsonSerde"/> per options instance, so the options are frozen and cached once.</summary>
internal static class SerdeCache
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<KeelJsonOptions, JsonSerde> Cache = new();

    public static JsonSerde For(KeelJsonOptions options) => Cache.GetValue(options, o => new JsonSerde(o));
}
