using System.Globalization;
using System.Text;
using Tessera.Evaluation;
using Tessera.Video;

namespace Tessera.Training;

/// <summary>
/// The run's curves as one picture: total loss, reconstruction (L1) loss and, when evaluated, held-out PSNR,
/// drawn as SVG and rasterised to PNG with FFmpeg (librsvg). A plot that cannot be drawn is skipped, never fatal.
/// </summary>
internal static class LossPlot
{
    private const int Width = 640, Height = 200;

    public static void Write(string pngPath, IReadOnlyList<(long Step, Dictionary<string, double> Values)> train,
        IReadOnlyList<(long Step, Dictionary<string, double> Values)> eval)
    {
        var charts = new List<string>();
        if (train.Count > 1)
        {
            var steps = (train[0].Step, train[^1].Step);
            charts.Add(SvgPlot.Line("total loss", "loss", Series(train, "total"), width: Width, height: Height, xLabel: "step", xRange: steps));
            charts.Add(SvgPlot.Line("L1 reconstruction", "rec", Series(train, "rec"), width: Width, height: Height, colour: "#d62728", xLabel: "step", xRange: steps));
        }
        if (eval.Count > 0)
            charts.Add(SvgPlot.Line("held-out PSNR (EMA weights)", "dB", Series(eval, "psnr"), width: Width, height: Height, colour: "#2ca02c",
                xLabel: "step", xRange: (eval[0].Step, eval[^1].Step)));
        if (charts.Count == 0) return;

        var svg = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height * charts.Count}\"><rect width=\"100%\" height=\"100%\" fill=\"white\"/>"));
        for (var i = 0; i < charts.Count; i++)
            svg.Append(charts[i].Replace("<svg ", string.Create(CultureInfo.InvariantCulture, $"<svg y=\"{i * Height}\" "), StringComparison.Ordinal));
        svg.Append("</svg>");

        var svgPath = Path.ChangeExtension(pngPath, ".svg");
        AtomicFile.Write(svgPath, s => s.Write(Encoding.UTF8.GetBytes(svg.ToString())));
        var tmp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(pngPath))!, $".{Path.GetFileName(pngPath)}.tmp.png");
        var (code, _, _) = FFmpegProcess.Run(FFmpegProcess.FfmpegExecutable, ["-v", "error", "-y", "-i", svgPath, tmp], svgPath);
        if (code == 0) File.Move(tmp, pngPath, overwrite: true);
        else File.Delete(tmp);
    }

    private static double[] Series(IReadOnlyList<(long Step, Dictionary<string, double> Values)> rows, string key) =>
        rows.Select(r => r.Values.TryGetValue(key, out var v) ? v : double.NaN).ToArray();
}
