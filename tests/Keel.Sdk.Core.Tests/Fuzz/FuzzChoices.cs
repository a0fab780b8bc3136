namespace Keel.Fuzzing;

/// <summary>
/// A fuzz case as a list of random numbers, read one at a time to make every choice. CsCheck generates
/// and shrinks the list (shorter, smaller numbers), so a failing case shrinks to one made of fewer and
/// plainer choices without each generator having to know how to shrink itself. Past its end every
/// choice is 0: the first, plainest option.
/// </summary>
internal sealed class FuzzChoices(uint[] values)
{
    private int _next;

    public uint Next() => _next < values.Length ? values[_next++] : 0;

    public ulong NextLong() => ((ulong)Next() << 32) | Next();

    /// <summary>A number in [0, n).</summary>
    public int Below(int n) => (int)(Next() % (uint)n);

    public bool Chance(int percent) => Below(100) < percent;

    public T Pick<T>(IReadOnlyList<T> items) => items[Below(items.Count)];

    public byte[] Bytes(int maxLength)
    {
        var bytes = new byte[Below(maxLength + 1)];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)Next();
        }

        return bytes;
    }

    /// <summary>Mostly a small number (ids, indexes that may match), sometimes any.</summary>
    public uint SmallOrAny() => Chance(85) ? (uint)Below(6) : Next();

    /// <summary>Mostly one of the interesting strings, sometimes random text.</summary>
    public string Text(IReadOnlyList<string> interesting)
    {
        if (Chance(75))
        {
            return Pick(interesting);
        }

        var chars = new char[Below(24)];
        for (var i = 0; i < chars.Length; i++)
        {
            // Printable ASCII mostly; now and then any char, lone surrogates and NUL included.
            chars[i] = Chance(85) ? (char)(' ' + Below(95)) : (char)Next();
        }

        return new string(chars);
    }
}
