using System.Collections;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Telemetry;

/// <summary>
/// The logging scope of server logs about one invocation: <c>InvocationId</c> as a structured scope
/// property, so JSON logs (and any scope-aware provider) can be filtered by invocation without
/// parsing messages.
/// </summary>
public sealed class InvocationLogScope(string invocationId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public const string PropertyName = "InvocationId";

    public static IDisposable? Begin(ILogger logger, string invocationId)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return logger.BeginScope(new InvocationLogScope(invocationId));
    }

    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new(PropertyName, invocationId) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{PropertyName}:{invocationId}";
}
