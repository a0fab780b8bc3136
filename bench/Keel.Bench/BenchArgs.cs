using System.Globalization;

namespace Keel.Bench;

/// <summary>Command-line arguments: positional values and <c>--name value</c> flags.</summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string> _flags = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    public BenchArgs(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                _flags[args[i][2..]] = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            }
            else
            {
                _positional.Add(args[i]);
            }
        }
    }

    public string Mode => _positional.Count > 0 ? _positional[0] : "sdk";

    public double Positional(int index, double fallback) =>
        _positional.Count > index ? double.Parse(_positional[index], CultureInfo.InvariantCulture) : fallback;

    public string? String(string name) => _flags.GetValueOrDefault(name);

    public string String(string name, string fallback) => _flags.GetValueOrDefault(name, fallback);

    public int Int(string name, int fallback) =>
        _flags.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) =>
        _flags.TryGetValue(name, out var text) ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>A duration flag: seconds as a plain number (<c>2</c>, <c>1.5</c>) or with a unit (<c>2s</c>, <c>500ms</c>); null when absent.</summary>
    public TimeSpan? Duration(string name)
    {
        if (!_flags.TryGetValue(name, out var text))
        {
            return null;
        }

        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : (text, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? TimeSpan.FromSeconds(value * scale)
            : throw new ArgumentException($"--{name} {text}: expected a duration such as 2, 2s or 500ms.");
    }

    /// <summary>Which servers to run, <c>--servers keel,restate</c> by default.</summary>
    public IReadOnlyList<ServerKind> Servers() =>
        [.. String("servers", "keel,restate").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim().ToLowerInvariant() switch
        {
            "keel" => ServerKind.Keel,
            "restate" => ServerKind.Restate,
            var other => throw new ArgumentException($"Unknown server '{other}' (keel or restate)."),
        })];
}
