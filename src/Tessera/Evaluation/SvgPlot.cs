using System.Globalization;
using System.Net;
using System.Text;

namespace Tessera.Evaluation;

/// <summary>Small self-contained SVG charts for the HTML report (no plotting library, no native assets).</summary>
internal static class SvgPlot
{
    private const int Left = 52, Right = 12, Top = 24, Bottom = 30;

    /// <summary>
    /// Line chart of <paramref name="values"/> against the frame index; points flagged in <paramref name="muted"/>
    /// (padded frames) are drawn grey; vertical lines mark <paramref name="boundaries"/> (clip starts).
    /// </summary>
    public static string Line(string title, string yLabel, IReadOnlyList<double> values, IReadOnlyList<bool>? muted = null,
        IReadOnlyList<int>? boundaries = null, int width = 520, int height = 200, string colour = "#1f77b4",
        string xLabel = "frame", (long First, long Last)? xRange = null)
    {
        var sb = Begin(width, height, title);
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0) return End(sb.Append(Text(width / 2.0, height / 2.0, "no data", "middle")));
        double lo = finite.Min(), hi = finite.Max();
        if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
        var pad = (hi - lo) * 0.08;
        lo -= pad; hi += pad;
        var n = Math.Max(1, values.Count - 1);
        double X(double i) => Left + i / n * (width - Left - Right);
        double Y(double v) => Top + (hi - v) / (hi - lo) * (height - Top - Bottom);
        Axes(sb, width, height, lo, hi, yLabel, values.Count, xLabel, xRange);
        foreach (var b in boundaries ?? [])
            if (b > 0 && b < values.Count)
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(b - 0.5):0.#}\" y1=\"{Top}\" x2=\"{X(b - 0.5):0.#}\" y2=\"{height - Bottom}\" stroke=\"#ddd\"/>");
        var points = string.Join(" ", values.Select((v, i) => double.IsFinite(v) ? F($"{X(i):0.##},{Y(v):0.##}") : null).Where(p => p is not null));
        sb.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{points}\"/>");
        if (values.Count <= 400)
            for (var i = 0; i < values.Count; i++)
                if (double.IsFinite(values[i]))
                    sb.Append(F($"<circle cx=\"{X(i):0.##}\" cy=\"{Y(values[i]):0.##}\" r=\"2\" fill=\"{(muted is not null && muted[i] ? "#aaa" : colour)}\"/>"));
        return End(sb);
    }

    /// <summary>Bar chart of <paramref name="counts"/> (e.g. token counts per code-id range).</summary>
    public static string Bars(string title, string xLabel, IReadOnlyList<long> counts, int width = 520, int height = 200, string colour = "#2ca02c")
    {
        var sb = Begin(width, height, title);
        if (counts.Count == 0 || counts.Max() == 0) return End(sb.Append(Text(width / 2.0, height / 2.0, "no tokens", "middle")));
        double hi = counts.Max() * 1.05;
        var plotW = width - Left - Right;
        var plotH = height - Top - Bottom;
        Axes(sb, width, height, 0, hi, "tokens", 0, "", null);
        var bw = (double)plotW / counts.Count;
        for (var i = 0; i < counts.Count; i++)
        {
            var h = counts[i] / hi * plotH;
            sb.Append(F($"<rect x=\"{Left + i * bw:0.##}\" y=\"{Top + plotH - h:0.##}\" width=\"{Math.Max(0.5, bw - 0.5):0.##}\" height=\"{h:0.##}\" fill=\"{colour}\"/>"));
        }
        sb.Append(Text(Left + plotW / 2.0, height - 6, xLabel, "middle"));
        return End(sb);
    }

    private static StringBuilder Begin(int width, int height, string title)
    {
        var sb = new StringBuilder();
        sb.Append(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">"));
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        sb.Append(Text(width / 2.0, 15, title, "middle", bold: true));
        return sb;
    }

    private static string End(StringBuilder sb) => sb.Append("</svg>").ToString();

    private static void Axes(StringBuilder sb, int width, int height, double lo, double hi, string yLabel, int frames,
        string xLabel, (long First, long Last)? xRange)
    {
        int x0 = Left, x1 = width - Right, y0 = height - Bottom, y1 = Top;
        sb.Append(F($"<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#333\"/><line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0}\" y2=\"{y1}\" stroke=\"#333\"/>"));
        for (var k = 0; k <= 4; k++)
        {
            var v = lo + (hi - lo) * k / 4;
            var y = y0 - (y0 - y1) * k / 4.0;
            sb.Append(F($"<line x1=\"{x0 - 3}\" y1=\"{y:0.#}\" x2=\"{x1}\" y2=\"{y:0.#}\" stroke=\"#eee\"/>"));
            sb.Append(Text(x0 - 5, y + 4, Number(v, hi - lo), "end"));
        }
        sb.Append(F($"<text x=\"12\" y=\"{(y0 + y1) / 2}\" transform=\"rotate(-90 12 {(y0 + y1) / 2})\" text-anchor=\"middle\">{WebUtility.HtmlEncode(yLabel)}</text>"));
        if (frames > 0)
        {
            var (first, last) = xRange ?? (0, frames - 1);
            sb.Append(Text(x0, y0 + 14, first.ToString(CultureInfo.InvariantCulture), "middle"));
            sb.Append(Text(x1, y0 + 14, last.ToString(CultureInfo.InvariantCulture), "middle"));
            sb.Append(Text((x0 + x1) / 2.0, y0 + 24, xLabel, "middle"));
        }
    }

    private static string Number(double v, double range) =>
        Math.Abs(v) >= 10000 ? v.ToString("0.##e0", CultureInfo.InvariantCulture)
        : range < 0.1 ? v.ToString("0.0000", CultureInfo.InvariantCulture)
        : range < 10 ? v.ToString("0.00", CultureInfo.InvariantCulture)
        : v.ToString("0", CultureInfo.InvariantCulture);

    private static string Text(double x, double y, string text, string anchor, bool bold = false) =>
        F($"<text x=\"{x:0.#}\" y=\"{y:0.#}\" text-anchor=\"{anchor}\"{(bold ? " font-weight=\"bold\"" : "")}>{WebUtility.HtmlEncode(text)}</text>");

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
