namespace Keel.Sdk;

/// <summary>Deterministic helpers on <c>ctx.Random</c> (seeded per invocation, so replays draw the same values).</summary>
public static class RandomExtensions
{
    /// <summary>
    /// A random version-4 GUID drawn from <paramref name="random"/>: from <c>ctx.Random</c> it is the
    /// same on every replay of the invocation, unlike <see cref="Guid.NewGuid"/>.
    /// </summary>
    public static Guid NextGuid(this Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (in Guid's little-endian field layout)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }
}
