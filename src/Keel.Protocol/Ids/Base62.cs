using System.Numerics;

namespace Keel.Protocol.Ids;

/// <summary>
/// Fixed-width base62 (digits, lower case, upper case; most significant digit first, zero padded)
/// as used by Restate's resource ids.
/// </summary>
public static class Base62
{
    /// <summary>The digits in order of value.</summary>
    public const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /// <summary>The value in exactly <paramref name="width"/> digits, zero-padded.</summary>
    public static string Encode(UInt128 value, int width)
    {
        Span<char> chars = stackalloc char[width];
        chars.Fill('0');
        var i = width - 1;
        while (value != 0)
        {
            if (i < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), "Value does not fit the requested width.");
            }

            chars[i--] = Alphabet[(int)(value % 62)];
            value /= 62;
        }

        return new string(chars);
    }

    /// <summary>Reads base62 digits; false on a character outside the alphabet or an overflow.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, out UInt128 value)
    {
        value = 0;
        foreach (var c in text)
        {
            var digit = Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (digit < 0)
            {
                return false;
            }

            var next = BigInteger.Multiply(value, 62) + digit;
            if (next > UInt128.MaxValue)
            {
                return false;
            }

            value = (UInt128)next;
        }

        return true;
    }
}
