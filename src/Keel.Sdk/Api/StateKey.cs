namespace Keel.Sdk;

/// <summary>A typed name for a piece of object or workflow state.</summary>
public sealed record StateKey<T>(string Name)
{
    public override string ToString() => Name;
}
