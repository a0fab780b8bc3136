namespace Keel.Sdk;

/// <summary>
/// A typed name for a piece of object or workflow state: every read (<c>GetAsync</c>), write (<c>Set</c>)
/// and removal (<c>Clear</c>) goes through one, so the name and the type are declared once.
/// </summary>
public sealed record StateKey<T>
{
    /// <summary>A key for the state entry called <paramref name="name"/>; declare it once, as a static field.</summary>
    public StateKey(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The entry's name on the wire (what <c>StateKeysAsync</c> lists).</summary>
    public string Name { get; }

    /// <summary>The entry's name.</summary>
    public override string ToString() => Name;
}
