namespace Keel.Protocol.Framing;

/// <summary>The protocol's instants: milliseconds since the Unix epoch as a u64 (a sleep's wake-up time, a delayed send's invoke time).</summary>
public static class ProtocolTime
{
    private static readonly ulong MaxMilliseconds = (ulong)DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>
    /// The instant; any u64 is valid on the wire, and one past the calendar's end (year 9999) means "never"
    /// in practice, so it is that end rather than an error.
    /// </summary>
    public static DateTimeOffset FromUnixMilliseconds(ulong milliseconds) =>
        milliseconds >= MaxMilliseconds ? DateTimeOffset.MaxValue : DateTimeOffset.FromUnixTimeMilliseconds((long)milliseconds);
}
