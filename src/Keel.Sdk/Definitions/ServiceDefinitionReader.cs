using System.Reflection;
using Keel.Protocol.Manifest;

namespace Keel.Sdk;

/// <summary>Finds handlers by reflection and checks their signatures against the service kind.</summary>
internal static class ServiceDefinitionReader
{
    public static ServiceDefinition Read(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var kindAttribute = type.GetCustomAttribute<ServiceKindAttribute>()
            ?? throw new InvalidServiceDefinitionException($"{type.Name} has none of [Service], [VirtualObject] or [Workflow].");
        var serviceType = kindAttribute switch
        {
            VirtualObjectAttribute => ServiceType.VirtualObject,
            WorkflowAttribute => ServiceType.Workflow,
            _ => ServiceType.Service,
        };
        var name = kindAttribute.Name ?? type.Name;
        var problems = new List<string>();
        var handlers = new Dictionary<string, HandlerDefinition>(StringComparer.Ordinal);
        foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
        {
            var attribute = method.GetCustomAttribute<HandlerAttribute>();
            if (attribute is null)
            {
                continue;
            }

            var handler = ReadHandler(name, serviceType, method, attribute, problems);
            if (handler is null)
            {
                continue;
            }

            if (!handlers.TryAdd(handler.Name, handler))
            {
                problems.Add($"{method.Name}: a handler named '{handler.Name}' already exists.");
            }
        }

        if (handlers.Count == 0)
        {
            problems.Add("it has no [Handler] methods.");
        }

        if (serviceType == ServiceType.Workflow && handlers.Values.Count(h => h.Kind == HandlerType.Workflow) != 1)
        {
            problems.Add("a workflow needs exactly one handler taking IWorkflowContext (its run handler).");
        }

        if (problems.Count > 0)
        {
            throw new InvalidServiceDefinitionException($"Invalid Keel service {type.FullName}: " + string.Join(" ", problems));
        }

        return new ServiceDefinition(name, serviceType, type, handlers);
    }

    private static HandlerDefinition? ReadHandler(string serviceName, ServiceType serviceType, MethodInfo method, HandlerAttribute attribute, List<string> problems)
    {
        var where = $"{method.DeclaringType?.Name}.{method.Name}";
        if (method.IsStatic)
        {
            problems.Add($"{where}: handlers must be instance methods.");
            return null;
        }

        var parameters = method.GetParameters();
        // A CancellationToken is bound by the SDK (it fires when the attempt ends or the invocation is cancelled), never read from the input.
        var tokens = parameters.Skip(1).Where(p => p.ParameterType == typeof(CancellationToken)).ToList();
        var inputs = parameters.Skip(1).Where(p => p.ParameterType != typeof(CancellationToken)).ToList();
        if (parameters.Length < 1 || inputs.Count > 1 || tokens.Count > 1 || !typeof(IContext).IsAssignableFrom(parameters[0].ParameterType))
        {
            problems.Add($"{where}: a handler takes a context first, at most one input and optionally a CancellationToken, e.g. (IObjectContext ctx, int delta, CancellationToken ct).");
            return null;
        }

        var outputType = OutputTypeOf(method.ReturnType);
        if (outputType is null)
        {
            problems.Add($"{where}: a handler returns Task, Task<T>, ValueTask or ValueTask<T>, not {method.ReturnType.Name}.");
            return null;
        }

        var contextType = parameters[0].ParameterType;
        var shared = method.GetCustomAttribute<SharedAttribute>() is not null;
        var kind = KindOf(serviceType, contextType, shared, where, problems);
        var name = attribute.Name ?? WireName(method.Name);
        return new HandlerDefinition(serviceName, name, kind, method, inputs.FirstOrDefault(), tokens.FirstOrDefault()?.Position,
            outputType == typeof(void) ? null : outputType);
    }

    private static HandlerType? KindOf(ServiceType serviceType, Type contextType, bool shared, string where, List<string> problems)
    {
        switch (serviceType)
        {
            case ServiceType.Service:
                if (contextType != typeof(IContext))
                {
                    problems.Add($"{where}: service handlers take IContext.");
                }

                if (shared)
                {
                    problems.Add($"{where}: [Shared] only applies to objects and workflows.");
                }

                return null;
            case ServiceType.VirtualObject:
                if (typeof(ISharedWorkflowContext).IsAssignableFrom(contextType))
                {
                    problems.Add($"{where}: object handlers take IObjectContext or ISharedObjectContext, not a workflow context.");
                }
                else if (shared && typeof(IObjectContext).IsAssignableFrom(contextType))
                {
                    problems.Add($"{where}: a [Shared] handler cannot write state: take ISharedObjectContext.");
                }

                return shared ? HandlerType.Shared : HandlerType.Exclusive;
            default:
                if (contextType == typeof(IWorkflowContext))
                {
                    if (shared)
                    {
                        problems.Add($"{where}: the workflow run handler cannot be [Shared].");
                    }

                    return HandlerType.Workflow;
                }

                if (contextType != typeof(ISharedWorkflowContext))
                {
                    problems.Add($"{where}: workflow handlers take IWorkflowContext (the run handler) or ISharedWorkflowContext.");
                }

                return HandlerType.Shared;
        }
    }

    /// <summary>Task → void, Task&lt;T&gt; → T, same for ValueTask; null when not awaitable.</summary>
    private static Type? OutputTypeOf(Type returnType)
    {
        if (returnType == typeof(Task) || returnType == typeof(ValueTask))
        {
            return typeof(void);
        }

        if (returnType.IsGenericType && (returnType.GetGenericTypeDefinition() == typeof(Task<>) || returnType.GetGenericTypeDefinition() == typeof(ValueTask<>)))
        {
            return returnType.GetGenericArguments()[0];
        }

        return null;
    }

    /// <summary>"AddAsync" → "add": camelCase, without the Async suffix that C# naming adds.</summary>
    public static string WireName(string methodName)
    {
        var name = methodName.EndsWith("Async", StringComparison.Ordinal) && methodName.Length > 5 ? methodName[..^5] : methodName;
        return char.ToLowerInvariant(name[0]) + name[1..];
    }
}
