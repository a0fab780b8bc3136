namespace Keel.Sdk;

/// <summary>Base of the attributes that declare a class as a Keel service of some kind.</summary>
public abstract class ServiceKindAttribute : Attribute
{
    /// <summary>The service name on the wire; defaults to the class name.</summary>
    public string? Name { get; set; }
}

/// <summary>A stateless service: handlers run concurrently, no state.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ServiceAttribute : ServiceKindAttribute;

/// <summary>A virtual object: keyed, exclusive handlers run one at a time per key, with K/V state.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class VirtualObjectAttribute : ServiceKindAttribute;

/// <summary>A workflow: the handler taking <see cref="IWorkflowContext"/> runs once per workflow id.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class WorkflowAttribute : ServiceKindAttribute;

/// <summary>Marks a method as a handler. The wire name defaults to the method name in camelCase without an "Async" suffix.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class HandlerAttribute : Attribute
{
    /// <summary>A handler whose wire name is derived from the method name.</summary>
    public HandlerAttribute() { }

    /// <summary>A handler served and called as <paramref name="name"/>: pins the wire name, so renaming the method does not break callers.</summary>
    public HandlerAttribute(string name) => Name = name;

    /// <summary>The explicit wire name, or null to derive it from the method name.</summary>
    public string? Name { get; }
}

/// <summary>A handler of an object or workflow that does not take the key's lock and cannot write state.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class SharedAttribute : Attribute;
