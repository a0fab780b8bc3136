using System.Numerics;

namespace Keel.Chaos.Checkers.Linearizability;

/// <summary>A fixed-size set of operation ids: which operations a partial linearization has taken so far.</summary>
internal sealed class BitSet : IEquatable<BitSet>
{
    private readonly ulong[] _words;

    public BitSet(int size) => _words = new ulong[(size + 63) / 64];

    private BitSet(ulong[] words) => _words = words;

    public BitSet With(int bit)
    {
        var words = (ulong[])_words.Clone();
        words[bit >> 6] |= 1UL << (bit & 63);
        return new BitSet(words);
    }

    public BitSet Without(int bit)
    {
        var words = (ulong[])_words.Clone();
        words[bit >> 6] &= ~(1UL << (bit & 63));
        return new BitSet(words);
    }

    public int Count => _words.Sum(w => BitOperations.PopCount(w));

    public bool Equals(BitSet? other) => other is not null && _words.AsSpan().SequenceEqual(other._words);

    public override bool Equals(object? obj) => Equals(obj as BitSet);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var word in _words)
        {
            hash.Add(word);
        }

        return hash.ToHashCode();
    }
}
