using System.Buffers.Binary;
using System.Security.Cryptography;
using Keel.Protocol.Ids;

namespace Keel.Server.Admin;

/// <summary>
/// Deployment ids in Restate's text form: <c>dp_1</c> and 22 base62 digits of a 128-bit ULID
/// (milliseconds since the epoch in the top 48 bits, then random bits), byte-swapped before
/// encoding like the other resource ids, 26 characters in all.
/// </summary>
public static class DeploymentIds
{
    public const string Prefix = "dp_1";
    public const int Length = 26;
    private const int PayloadWidth = 22;

    /// <summary>A fresh id, time-ordered by <paramref name="now"/>.</summary>
    public static string New(DateTimeOffset now)
    {
        Span<byte> random = stackalloc byte[10];
        RandomNumberGenerator.Fill(random);
        var ulid = ((UInt128)(ulong)now.ToUnixTimeMilliseconds() << 80)
            | ((UInt128)BinaryPrimitives.ReadUInt64BigEndian(random) << 16)
            | BinaryPrimitives.ReadUInt16BigEndian(random[8..]);
        return Format(ulid);
    }

    public static string Format(UInt128 ulid) => Prefix + Base62.Encode(BinaryPrimitives.ReverseEndianness(ulid), PayloadWidth);

    /// <summary>Whether <paramref name="text"/> is a well-formed deployment id; <paramref name="ulid"/> is its value.</summary>
    public static bool TryParse(string? text, out UInt128 ulid)
    {
        ulid = 0;
        if (text is null || text.Length != Length || !text.StartsWith(Prefix, StringComparison.Ordinal)
            || !Base62.TryDecode(text.AsSpan(Prefix.Length), out var swapped))
        {
            return false;
        }

        ulid = BinaryPrimitives.ReverseEndianness(swapped);
        return true;
    }
}
