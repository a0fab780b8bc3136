using System.Globalization;
using System.Security;
using System.Text;
using Keel.Chaos.History;

namespace Keel.Chaos.Reports;

/// <summary>
/// One workload's throughput over a run as an SVG, written by hand (no plotting dependency): operations
/// acknowledged per second and operations failed or indeterminate per second, in time bins, over the fault windows
/// shaded by kind, with the end of the faults and the end of the settling marked.
/// </summary>
public static class ThroughputPlot
{
    private const int Width = 960;
    private const int Height = 340;
    private const int Left = 64;
    private const int Right = 20;
    private const int Top = 56;
    private const int Bottom = 44;

    private static readonly string[] Palette = ["#f4a261", "#e76f51", "#8ab17d", "#9b5de5", "#00bbf9", "#f15bb5", "#fee440", "#adb5bd"];

    /// <summary>The SVG of the completions (ok, and fail or info) of operations whose key <paramref name="owns"/> accepts.</summary>
    public static string Svg(string title, IReadOnlyList<Op> ops, Func<string?, bool> owns, IReadOnlyList<FaultWindow> windows)
    {
        ArgumentNullException.ThrowIfNull(ops);
        ArgumentNullException.ThrowIfNull(owns);
        ArgumentNullException.ThrowIfNull(windows);
        var end = Math.Max(1e-9, (ops.Count == 0 ? 0 : ops[^1].Time) / 1e9);
        var bin = Math.Max(1, Math.Ceiling(end / 150));
        var bins = (int)Math.Ceiling(end / bin);
        var ok = new double[bins];
        var bad = new double[bins];
        foreach (var op in ops.Where(o => o.Process != Op.NemesisProcess && o.Kind != OpKind.Invoke && owns(o.Key)))
        {
            var i = Math.Min(bins - 1, (int)(op.Time / 1e9 / bin));
            (op.Kind == OpKind.Ok ? ok : bad)[i] += 1 / bin;
        }

        var yMax = NiceCeiling(Math.Max(1, ok.Concat(bad).Max()));
        double X(double seconds) => Left + ((Width - Left - Right) * seconds / end);
        double Y(double rate) => Height - Bottom - ((Height - Top - Bottom) * rate / yMax);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{SecurityElement.Escape(title)}</text>\n");

        // The fault windows first, under the lines; one colour per kind, in a legend above the plot.
        var kinds = windows.Select(w => w.Kind).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var window in windows)
        {
            var x = X(window.Start / 1e9);
            var w = Math.Max(1, X(window.End / 1e9) - x);
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:F1}\" y=\"{Top}\" width=\"{w:F1}\" height=\"{Height - Top - Bottom}\" fill=\"{Palette[kinds.IndexOf(window.Kind) % Palette.Length]}\" fill-opacity=\"0.35\"/>\n");
        }

        var legendX = (double)Left;
        foreach (var kind in kinds)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{legendX:F0}\" y=\"28\" width=\"12\" height=\"12\" fill=\"{Palette[kinds.IndexOf(kind) % Palette.Length]}\" fill-opacity=\"0.6\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{legendX + 16:F0}\" y=\"38\">{SecurityElement.Escape(kind)} ×{windows.Count(w => w.Kind == kind)}</text>\n");
            legendX += 24 + (7 * kind.Length) + 30;
        }

        // Axes and ticks.
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>\n");
        var xStep = NiceCeiling(end / 10);
        for (var t = 0.0; t <= end + 1e-9; t += xStep)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(t):F1}\" y1=\"{Height - Bottom}\" x2=\"{X(t):F1}\" y2=\"{Height - Bottom + 4}\" stroke=\"black\"/><text x=\"{X(t):F1}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{t:0}</text>\n");
        }

        for (var r = 0.0; r <= yMax + 1e-9; r += yMax / 5)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left - 4}\" y1=\"{Y(r):F1}\" x2=\"{Width - Right}\" y2=\"{Y(r):F1}\" stroke=\"#ddd\"/><text x=\"{Left - 6}\" y=\"{Y(r) + 4:F1}\" text-anchor=\"end\">{r:0.#}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 8}\" text-anchor=\"middle\">seconds (bins of {bin:0} s)</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(16 {(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">operations / s</text>\n");

        foreach (var (name, time) in new[] { ("faults end", "healed"), ("settled", "settled") })
        {
            if (ops.FirstOrDefault(o => o.Process == Op.NemesisProcess && o.F == time) is { } mark)
            {
                var x = X(mark.Time / 1e9);
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:F1}\" y1=\"{Top}\" x2=\"{x:F1}\" y2=\"{Height - Bottom}\" stroke=\"black\" stroke-dasharray=\"4 3\"/><text x=\"{x - 3:F1}\" y=\"{Top + 12}\" text-anchor=\"end\">{name}</text>\n");
            }
        }

        svg.Append(Polyline(ok, bin, X, Y, "#1d3557", "acknowledged"));
        svg.Append(Polyline(bad, bin, X, Y, "#d62828", "failed or indeterminate"));
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right}\" y=\"18\" text-anchor=\"end\"><tspan fill=\"#1d3557\">— acknowledged</tspan>  <tspan fill=\"#d62828\">— failed or indeterminate</tspan></text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Polyline(double[] rates, double bin, Func<double, double> x, Func<double, double> y, string colour, string name)
    {
        var points = string.Join(' ', rates.Select((r, i) => string.Create(CultureInfo.InvariantCulture, $"{x((i + 0.5) * bin):F1},{y(r):F1}")));
        return $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{points}\"><title>{name}</title></polyline>\n";
    }

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="value"/>.</summary>
    private static double NiceCeiling(double value)
    {
        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        return new[] { 1, 2, 5, 10 }.Select(m => m * power).First(n => n >= value - 1e-9);
    }
}
