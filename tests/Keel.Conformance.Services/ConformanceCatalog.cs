using Keel.Sdk;

namespace Keel.Conformance.Services;

/// <summary>Every contract service by its wire name.</summary>
public static class ConformanceCatalog
{
    public static IReadOnlyDictionary<string, Type> All { get; } = typeof(ConformanceCatalog).Assembly.GetTypes()
        .Where(t => t.GetCustomAttributes(typeof(ServiceKindAttribute), false).Length > 0)
        .ToDictionary(t => ServiceDefinition.For(t).Name, t => t);

    public static IReadOnlyList<Type> Select(string? services)
    {
        if (string.IsNullOrWhiteSpace(services) || services.Trim() == "*")
        {
            return All.Values.ToList();
        }

        return services.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(name => All.TryGetValue(name, out var type)
                ? type
                : throw new ArgumentException($"Unknown service '{name}'. Known: {string.Join(", ", All.Keys.Order())}."))
            .ToList();
    }
}
