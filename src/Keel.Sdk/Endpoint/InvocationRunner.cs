using System.IO.Pipelines;
using Keel.Protocol.Framing;
using Keel.Sdk.Core;
using Keel.Sdk.Internal;

namespace Keel.Sdk;

/// <summary>Runs one invocation of a handler over a request/response byte stream (transport-agnostic).</summary>
public static class InvocationRunner
{
    /// <param name="instanceFactory">Creates the service class instance (e.g. through dependency injection).</param>
    public static Task RunAsync(
        HandlerDefinition handler,
        ServiceProtocolVersion version,
        PipeReader input,
        PipeWriter output,
        Func<Type, object> instanceFactory,
        TimeProvider? time = null,
        CancellationToken cancellationToken = default,
        Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(instanceFactory);
        var driver = new InvocationDriver(new Vm(version), time ?? TimeProvider.System, logger, handler.ServiceName, handler.Name);
        return driver.RunAsync(input, output, context =>
        {
            var instance = instanceFactory(handler.Method.DeclaringType!);
            return handler.InvokeAsync(instance, context, context.Input.Input, driver.HandlerCancellation);
        }, cancellationToken);
    }
}
