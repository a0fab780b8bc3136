using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Keel.Cli.Api;

/// <summary>
/// The version of an object's state as the admin API checks it on <c>POST /services/{name}/state</c> (Restate's
/// CLI computes the same): SHA-256 over the entries sorted by key, each as its position (u64 big-endian), 0x01, key,
/// 0x02, value, 0x03, in base64url without padding. Sending the version of what was read makes the server refuse
/// (409) a write over a state that changed in between.
/// </summary>
internal static class StateVersion
{
    public static string Of(IEnumerable<KeyValuePair<string, byte[]>> state)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var position = 0UL;
        Span<byte> index = stackalloc byte[8];
        foreach (var (key, value) in state.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            BinaryPrimitives.WriteUInt64BigEndian(index, position++);
            hash.AppendData(index);
            hash.AppendData([0x01]);
            hash.AppendData(Encoding.UTF8.GetBytes(key));
            hash.AppendData([0x02]);
            hash.AppendData(value);
            hash.AppendData([0x03]);
        }

        return Convert.ToBase64String(hash.GetHashAndReset()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
