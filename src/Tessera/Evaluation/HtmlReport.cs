using System.Globalization;
using System.Net;
using System.Text;

namespace Tessera.Evaluation;

/// <summary>
/// The self-contained HTML report: the summary table, then per video a strip of sampled frames (original,
/// reconstruction, error heat map; base64 PNG), PSNR and SSIM per frame (inline SVG) and the token histogram.
/// </summary>
internal static class HtmlReport
{
    public const int HistogramBins = 64;

    public static string Render(EvalRun run)
    {
        var names = run.Settings.Metrics;
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tessera evaluation</title><style>")
         .Append("body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
         .Append("td:first-child,th:first-child{text-align:left}.failed{color:#b00}.na{color:#888}section{margin-top:28px;border-top:2px solid #ddd}")
         .Append(".strip td{border:none;padding:2px;text-align:center;font-size:11px}.strip img{width:180px;image-rendering:pixelated}.plots svg{margin-right:8px}")
         .Append(".warn{background:#fff6dd;padding:6px 10px}")
         // Model and input paths can be longer than the page is wide: they wrap anywhere, and the full text is the tooltip.
         .Append("code.path{overflow-wrap:anywhere;word-break:break-all}</style></head><body>");
        h.Append("<h1>Tessera evaluation</h1>");
        var s = run.Settings;
        h.Append(Inv($"<p>Model {PathCode(run.Model)} ({E(s.ModelFamily)}) on {PathCode(run.Input)}: {s.Fps:0.###} fps, {s.Width}×{s.Height} (width × height), "))
         .Append(s.LongVideo ? Inv($"whole videos (long mode, {E(s.LongVideoLength)}, chunk {s.TemporalChunk})") : Inv($"{s.ClipFrames}-frame clips"))
         .Append(Inv($". {run.Succeeded} videos evaluated, {run.Failed} failed, {RealFrames(run.Videos)} frames (+{PaddedFrames(run.Videos)} padded), {run.Seconds:0.0} s.</p>"));
        if (run.Succeeded == 0)
            h.Append("<p class=\"failed\"><b>No video could be evaluated: there are no results, only the failures below.</b></p>");
        if (run.Warnings.Count > 0)
            h.Append("<div class=\"warn\">").Append(string.Join("<br>", run.Warnings.Select(E))).Append("</div>");

        h.Append("<table><tr><th>video</th><th>frames</th><th>padded</th><th>clips</th>");
        foreach (var n in names) h.Append("<th>").Append(E(EvalOutput.Title(n))).Append("</th>");
        h.Append("<th>tokens</th><th>codebook use</th><th>time (s)</th><th>status</th></tr>");
        foreach (var v in run.Videos)
        {
            h.Append(Inv($"<tr><td><a href=\"#{Id(v)}\">{E(v.Name)}</a></td><td>{RealFrames([v])}</td><td>{PaddedFrames([v])}</td><td>{v.Clips}</td>"));
            foreach (var n in names) h.Append(Cell(n, v.Metrics.GetValueOrDefault(n)));
            h.Append(Inv($"<td>{v.Tokens}</td><td>{EvalOutput.Percent(v.Codebook?.Utilisation)}</td><td>{v.Seconds:0.0}</td>"))
             .Append(v.Failed ? $"<td class=\"failed\">failed: {E(v.Error!)}</td>" : "<td>ok</td>").Append("</tr>");
        }
        h.Append(Inv($"<tr><th>all</th><th>{RealFrames(run.Videos)}</th><th>{PaddedFrames(run.Videos)}</th><th>{run.Videos.Sum(v => v.Clips)}</th>"));
        foreach (var n in names) h.Append(Cell(n, run.Metrics.GetValueOrDefault(n), "th"));
        h.Append(Inv($"<th>{run.Tokens}</th><th>{EvalOutput.Percent(run.Codebook?.Utilisation)}</th><th>{run.Seconds:0.0}</th><th></th></tr></table>"));
        h.Append("<p>FVD: ").Append(run.Fvd is { } fvd ? Inv($"{fvd:0.00} over {run.FvdClips} clips of {run.Settings.FvdClipFrames} frames ({E(run.FvdFeatures ?? "")})") : "<span class=\"na\">n/a</span>").Append("</p>");
        h.Append("<p>Means are frame-weighted over every evaluated frame, padded tail frames included (the reference's convention). ")
         .Append(Inv($"Error maps: |original − reconstruction| averaged over RGB, black = 0, white ≥ {ErrorHeatmap.Saturation}/255.</p>"));
        if (run.Codebook is { } cb)
        {
            h.Append(Inv($"<p>Codebook: {cb.UsedCodes:N0} of {cb.CodebookSize:N0} codes used ({cb.Utilisation:P2}), perplexity {cb.Perplexity:0.0}.</p>"));
            if (run.Usage is { } usage) h.Append(SvgPlot.Bars("token usage, all videos", Inv($"code id ({HistogramBins} equal ranges of {cb.CodebookSize:N0})"), Binned(usage.Histogram, HistogramBins)));
        }
        else
        {
            foreach (var (group, g) in run.Codebooks)
                h.Append(Inv($"<p>Codebook <code>{E(group)}</code>: {g.UsedCodes:N0} of {g.CodebookSize:N0} codes used ({g.Utilisation:P2}), perplexity {g.Perplexity:0.0}.</p>"));
        }

        foreach (var v in run.Videos) Video(h, v, names);
        h.Append("</body></html>\n");
        return h.ToString();
    }

    // "frames" are the video's own frames; the repeated last frames that fill the final clip are counted apart.
    private static long RealFrames(IEnumerable<VideoResult> videos) => videos.Where(v => !v.Failed).Sum(v => (long)v.EvaluatedFrames - v.PaddedFrames);

    private static long PaddedFrames(IEnumerable<VideoResult> videos) => videos.Where(v => !v.Failed).Sum(v => (long)v.PaddedFrames);

    private static string PathCode(string path) => $"<code class=\"path\" title=\"{E(path)}\">{E(path)}</code>";

    private static void Video(StringBuilder h, VideoResult v, IReadOnlyList<string> names)
    {
        h.Append(Inv($"<section id=\"{Id(v)}\"><h2>{E(v.Name)}</h2>"));
        if (v.Failed)
        {
            h.Append("<p class=\"failed\">Not evaluated: ").Append(E(v.Error!)).Append("</p></section>");
            return;
        }
        h.Append(Inv($"<p>{v.Frames} frames ({v.PaddedFrames} padded, {v.DroppedFrames} dropped), {v.Clips} clips, {v.Width}×{v.Height} at {v.Fps:0.###} fps; "))
         .Append(string.Join(", ", names.Select(n => $"{E(EvalOutput.Title(n))} {EvalOutput.Show(n, v.Metrics.GetValueOrDefault(n))}")))
         .Append(Inv($"; {v.Tokens:N0} tokens; {v.Seconds:0.0} s.</p>"));
        if (v.Samples.Count > 0)
        {
            h.Append("<table class=\"strip\"><tr><td></td>");
            foreach (var f in v.Samples) h.Append(Inv($"<td>frame {f.Frame}</td>"));
            foreach (var (label, pick) in new (string, Func<SampleFrame, byte[]>)[]
                     { ("original", f => f.Original), ("reconstruction", f => f.Reconstruction), ("error", f => ErrorHeatmap.Render(f.Original, f.Reconstruction)) })
            {
                h.Append("</tr><tr><td>").Append(label).Append("</td>");
                foreach (var f in v.Samples)
                    h.Append("<td><img alt=\"").Append(label).Append("\" src=\"data:image/png;base64,")
                     .Append(Convert.ToBase64String(Png.Encode(pick(f), f.Height, f.Width))).Append("\"></td>");
            }
            h.Append("</tr></table>");
        }
        h.Append("<div class=\"plots\">");
        var padded = v.PerFrame.Select(p => p.Padded).ToArray();
        var boundaries = v.PerFrame.Select((p, i) => (p, i)).Where(t => t.i > 0 && t.p.Clip != v.PerFrame[t.i - 1].Clip).Select(t => t.i).ToArray();
        foreach (var n in names.Where(n => v.Metrics.GetValueOrDefault(n) is not null))
            h.Append(SvgPlot.Line(EvalOutput.Title(n) + " per frame (grey: padded)", EvalOutput.Title(n),
                v.PerFrame.Select(p => p.Values[n]).ToArray(), padded, boundaries, colour: n == "psnr" ? "#1f77b4" : n == "ssim" ? "#d62728" : "#9467bd"));
        if (v.Usage is { } u)
            h.Append(SvgPlot.Bars(Inv($"token usage ({v.Codebook!.UsedCodes:N0} codes, perplexity {v.Codebook.Perplexity:0.0})"),
                Inv($"code id ({HistogramBins} equal ranges)"), Binned(u.Histogram, HistogramBins)));
        h.Append("</div></section>");
    }

    /// <summary>Counts per code summed into <paramref name="bins"/> equal ranges of code ids (at most one range per code).</summary>
    internal static long[] Binned(long[] counts, int bins)
    {
        bins = Math.Clamp(bins, 1, counts.Length);
        var result = new long[bins];
        for (var i = 0; i < counts.Length; i++) result[(long)i * bins / counts.Length] += counts[i];
        return result;
    }

    private static string Cell(string metric, double? value, string tag = "td") =>
        value is null ? $"<{tag} class=\"na\">n/a</{tag}>" : $"<{tag}>{EvalOutput.Show(metric, value)}</{tag}>";

    private static string Id(VideoResult v) => "v-" + EvalOutput.Stem(v.Name);
    private static string E(string s) => WebUtility.HtmlEncode(s);
    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
