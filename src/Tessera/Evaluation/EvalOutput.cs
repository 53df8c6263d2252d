using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Evaluation;

/// <summary>
/// Writes an evaluation's files, each atomically (<see cref="AtomicFile"/>):
/// <c>videos/&lt;name&gt;.csv</c> (per frame) and <c>videos/&lt;name&gt;.json</c> per video as soon as it is done,
/// then <c>results.csv</c> (one row per video), <c>summary.json</c>, <c>summary.md</c> and <c>report.html</c>.
/// Metrics that were not computed are JSON null and "n/a" in CSV, Markdown and HTML — never 0.
/// </summary>
internal static class EvalOutput
{
    public const string NotAvailable = "n/a";

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The per-video file stem: the video's name with path separators and odd characters replaced.</summary>
    public static string Stem(string name)
    {
        var sb = new StringBuilder();
        foreach (var c in name.Replace('\\', '/'))
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : c == '/' ? "__" : "_");
        // Only '/' -> '__' is undone unambiguously; any other change (or a name that could be confused with one) gets a
        // short hash of the original, so 'a b.mp4' and 'a_b.mp4', or 'a/b.mp4' and 'a__b.mp4', never share files.
        var stem = sb.ToString();
        var plain = name.Replace('\\', '/');
        if (stem == plain.Replace("/", "__") && !plain.Contains("__") && !plain.Contains("_/") && !plain.Contains("/_") &&
            !(stem.Length > 9 && stem[^9] == '-' && stem[^8..].All(char.IsAsciiHexDigitLower)))
            return stem;
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name));
        return $"{stem}-{Convert.ToHexStringLower(hash.AsSpan(0, 4))}";
    }

    public static void WriteVideo(string dir, VideoResult v, IReadOnlyList<string> metricNames)
    {
        var stem = Path.Combine(dir, "videos", Stem(v.Name));
        WriteText(stem + ".json", JsonSerializer.Serialize(v, Json));
        var csv = new StringBuilder();
        csv.AppendLine("frame,clip,source_frame,padded," + string.Join(",", metricNames));
        foreach (var f in v.PerFrame)
            csv.AppendLine(Inv($"{f.Frame},{f.Clip},{f.SourceFrame},{(f.Padded ? 1 : 0)},") +
                           string.Join(",", metricNames.Select(n => f.Values.TryGetValue(n, out var x) ? Num(x) : NotAvailable)));
        WriteText(stem + ".csv", csv.ToString());
    }

    public static void WriteSummary(string dir, EvalRun run)
    {
        var names = run.Settings.Metrics;
        var results = new StringBuilder();
        results.AppendLine("video,status,frames,evaluated_frames,padded_frames,clips,tokens," + string.Join(",", names) +
                           ",codebook_utilisation,codebook_perplexity,seconds,error");
        foreach (var v in run.Videos)
            results.AppendLine(string.Join(",", [
                Csv(v.Name), v.Failed ? "failed" : "ok", Inv($"{v.Frames}"), Inv($"{v.EvaluatedFrames}"), Inv($"{v.PaddedFrames}"),
                Inv($"{v.Clips}"), Inv($"{v.Tokens}"), .. names.Select(n => Num(v.Metrics.GetValueOrDefault(n))),
                Num(v.Codebook?.Utilisation), Num(v.Codebook?.Perplexity), Num(v.Seconds), Csv(v.Error ?? "")]));
        WriteText(Path.Combine(dir, "results.csv"), results.ToString());

        var summary = new
        {
            run.Model, run.Input, run.Settings,
            Videos = run.Videos.Count, run.Succeeded, run.Failed, EvaluatedFrames = run.Frames, run.Tokens,
            run.Metrics, run.MetricsRealFrames, run.Fvd, run.FvdClips, run.FvdFeatures, run.Codebook, run.Codebooks, run.Warnings, run.Seconds,
            Failures = run.Videos.Where(v => v.Failed).Select(v => new { v.Name, v.Path, v.Error }),
            PerVideo = run.Videos.Select(v => new
            {
                v.Name, v.Path, v.Error, v.Frames, v.EvaluatedFrames, v.PaddedFrames, v.DroppedFrames, v.Clips, v.Tokens,
                v.Metrics, v.MetricsRealFrames, v.Codebook, v.Codebooks, v.Seconds, v.ModelSeconds, v.Warnings,
            }),
        };
        WriteText(Path.Combine(dir, "summary.json"), JsonSerializer.Serialize(summary, Json));
        WriteText(Path.Combine(dir, "summary.md"), Markdown(run));
        WriteText(Path.Combine(dir, "report.html"), HtmlReport.Render(run));
    }

    public static string Markdown(EvalRun run)
    {
        var names = run.Settings.Metrics;
        var s = run.Settings;
        var md = new StringBuilder();
        md.AppendLine("# Tessera evaluation");
        md.AppendLine();
        md.AppendLine(Inv($"Model `{run.Model}` ({s.ModelFamily}); input `{run.Input}`; {s.Fps:0.###} fps, {s.Width}x{s.Height} (width x height), ") +
                      (s.LongVideo ? Inv($"whole videos (long mode, {s.LongVideoLength}, chunk {s.TemporalChunk})") : Inv($"{s.ClipFrames}-frame clips")) + ".");
        md.AppendLine();
        if (run.Succeeded == 0)
        {
            md.AppendLine("**No video could be evaluated: there are no results, only the failures below.**");
            md.AppendLine();
        }
        md.AppendLine("| video | frames | padded | clips | " + string.Join(" | ", names.Select(Title)) + " | tokens | codebook use | time (s) | status |");
        md.AppendLine("|---|---:|---:|---:|" + string.Concat(names.Select(_ => "---:|")) + "---:|---:|---:|---|");
        foreach (var v in run.Videos)
            md.AppendLine(Inv($"| {EscapeMd(v.Name)} | {(v.Failed ? 0 : v.EvaluatedFrames - v.PaddedFrames)} | {(v.Failed ? 0 : v.PaddedFrames)} | {v.Clips} | ") +
                          string.Join(" | ", names.Select(n => Show(n, v.Metrics.GetValueOrDefault(n)))) +
                          Inv($" | {v.Tokens} | {Percent(v.Codebook?.Utilisation)} | {v.Seconds:0.0} | ") +
                          (v.Failed ? "failed: " + EscapeMd(v.Error!) : "ok") + " |");
        md.AppendLine(Inv($"| **all ({run.Succeeded} ok, {run.Failed} failed)** | {run.Frames - run.PaddedFrames} | {run.PaddedFrames} | {run.Videos.Sum(v => v.Clips)} | ") +
                      string.Join(" | ", names.Select(n => "**" + Show(n, run.Metrics.GetValueOrDefault(n)) + "**")) +
                      Inv($" | {run.Tokens} | {Percent(run.Codebook?.Utilisation)} | {run.Seconds:0.0} | |"));
        md.AppendLine();
        md.AppendLine($"FVD: {(run.Fvd is { } f ? Inv($"{f:0.00} over {run.FvdClips} clips of {run.Settings.FvdClipFrames} frames ({run.FvdFeatures})") : NotAvailable)}");
        if (run.Codebook is { } cb)
            md.AppendLine(Inv($"Codebook: {cb.UsedCodes:N0} of {cb.CodebookSize:N0} codes used ({cb.Utilisation:P2}), perplexity {cb.Perplexity:0.0}, {cb.Tokens:N0} tokens."));
        else
            foreach (var (group, g) in run.Codebooks)
                md.AppendLine(Inv($"Codebook `{group}`: {g.UsedCodes:N0} of {g.CodebookSize:N0} codes used ({g.Utilisation:P2}), perplexity {g.Perplexity:0.0}, {g.Tokens:N0} tokens."));
        md.AppendLine();
        md.AppendLine("Means are frame-weighted over every evaluated frame, the padded frames of each video's tail clip included (the reference's convention); " +
                      "`summary.json` also gives `metrics_real_frames` without them.");
        if (run.Warnings.Count > 0)
        {
            md.AppendLine();
            foreach (var w in run.Warnings) md.AppendLine($"- {EscapeMd(w)}");
        }
        return md.ToString();
    }

    public static string Title(string metric) => metric switch
    {
        "psnr" => "PSNR (dB)",
        "ssim" => "SSIM",
        _ when metric.StartsWith("lpips", StringComparison.Ordinal) => metric.ToUpperInvariant().Replace("LPIPS_", "LPIPS ", StringComparison.Ordinal),
        _ => metric,
    };

    public static string Show(string metric, double? v) => v is not { } x ? NotAvailable
        : metric == "psnr" ? x.ToString("0.00", CultureInfo.InvariantCulture)
        : x.ToString("0.0000", CultureInfo.InvariantCulture);

    public static string Percent(double? v) => v is { } x ? x.ToString("P2", CultureInfo.InvariantCulture) : NotAvailable;

    private static void WriteText(string path, string text) =>
        AtomicFile.Write(path, s => s.Write(new UTF8Encoding(false).GetBytes(text)));

    private static string Num(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : NotAvailable;
    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
    private static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"").Replace("\r", " ").Replace("\n", " ") + "\"" : s;
    private static string EscapeMd(string s) => s.Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");
}
