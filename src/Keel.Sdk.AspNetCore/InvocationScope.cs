using System.Collections;

namespace Keel.Sdk.AspNetCore;

/// <summary>The logging scope of one attempt: <c>InvocationId</c> as a structured property (JSON console logs show it under scopes).</summary>
internal sealed class InvocationScope(string invocationId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new("InvocationId", invocationId) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"InvocationId:{invocationId}";
}
