using System.Globalization;
using Tessera.Inference;
using Tessera.Metrics;
using Tessera.Models;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Benchmarks;

/// <summary>
/// The bf16 accuracy row (--accuracy-clips &lt;folder, video or clips.csv&gt;): each real clip (the first --accuracy-frames
/// frames at --accuracy-size, short side scaled and centre-cropped, at the video's own rate) encoded and decoded by one
/// model (--accuracy-model, default the bundled default) in float32 and in bfloat16. It prints, per clip and overall,
/// the share of token ids that are equal and the PSNR of each reconstruction against the input. A list file with
/// splits (clips.csv) gives the videos of --accuracy-split (default eval), as training reads it.
/// </summary>
internal sealed class TargetsBf16Accuracy
{
    private readonly string clips;
    private readonly string model;
    private readonly string split;
    private readonly int frames;
    private readonly int size;

    private TargetsBf16Accuracy(string clips, string model, string split, int frames, int size) =>
        (this.clips, this.model, this.split, this.frames, this.size) = (clips, model, split, frames, size);

    /// <summary>The row alone (`bf16-accuracy`), for when the rest of `targets` is not wanted.</summary>
    public static int Run(Options options)
    {
        var accuracy = Read(options);
        var threads = options.Int("threads", 0);
        options.RejectUnknown();
        Measure.PrintHeader("bf16-accuracy", threads);
        Console.WriteLine($"cpu        {CpuInfo.Describe()}");
        foreach (var row in accuracy.Lines(get_num_threads()))
            Console.WriteLine(row.ToMarkdown());
        return 0;
    }

    public static TargetsBf16Accuracy Read(Options options) => new(
        options.String("accuracy-clips", ""), options.String("accuracy-model", ""), options.String("accuracy-split", "eval"),
        options.Int("accuracy-frames", 17), options.Int("accuracy-size", 256));

    public IEnumerable<TargetRow> Lines(int threads)
    {
        const string target = "bf16 token agreement / PSNR vs fp32 (real clips, bundled model)";
        const string threshold = ">= 99%, within 0.1 dB";
        if (clips.Length == 0)
            return [new TargetRow(target, threshold, "not run (--accuracy-clips <folder, video or clips.csv>)", null)];
        if (CpuInfo.HasNativeBf16 != true)
            return [new TargetRow(target, threshold, "not run (no native bf16 on this CPU)", null)];
        var videos = Videos();
        if (videos.Count == 0) throw new InvalidOperationException($"{clips}: no videos found");

        var name = model.Length > 0 ? model : BundledModelFolder.DefaultPath;
        using var fp32 = VideoTokenizer.Load(name, options: new TokenizerOptions { Threads = threads });
        using var bf16 = VideoTokenizer.Load(name, options: new TokenizerOptions { Threads = threads, Precision = ComputePrecision.BFloat16 });
        Console.WriteLine($"bf16 acc   {fp32.Config.Name} on {videos.Count} clips: first {frames} frames at {size}x{size}, own frame rate");

        long equal = 0, total = 0;
        var deltas = new List<double>();
        foreach (var path in videos)
        {
            using var scope = NewDisposeScope();
            using var clip = VideoReader.Read(path, new ReadOptions { FrameCount = frames, Size = (size, size) });
            var input = clip.ToModelInput();
            using var a = fp32.Encode(input);
            using var b = bf16.Encode(input);
            var (same, count) = Agreement(a, b);
            var pa = Psnr.PerFrame(input, fp32.Decode(a)).Average();
            var pb = Psnr.PerFrame(input, bf16.Decode(b)).Average();
            equal += same;
            total += count;
            deltas.Add(pb - pa);
            var ids = count > 0 ? $"ids equal {100.0 * same / count,6:F2}%" : "continuous code";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bf16 acc   {Path.GetFileName(path),-36} {ids}   PSNR fp32 {pa:F2} dB, bf16 {pb:F2} dB ({Signed(pb - pa)} dB)"));
        }
        var worst = deltas.MaxBy(Math.Abs);
        var agreement = total > 0 ? (double)equal / total : 1.0;
        var ok = (total == 0 || agreement >= 0.99) && Math.Abs(worst) <= 0.1;
        var idText = total > 0 ? $"ids {100.0 * agreement:F2}% equal" : "continuous code";
        Console.WriteLine($"bf16 acc   overall {idText}; PSNR change {Signed(deltas.Min())} to {Signed(deltas.Max())} dB");
        return [new TargetRow(target, threshold,
            $"{idText}, PSNR {Signed(deltas.Min())} to {Signed(deltas.Max())} dB ({videos.Count} clips, {fp32.Config.Name})", ok)];
    }

    /// <summary>Equal ids and ids compared, over every token group (0, 0 for a continuous code).</summary>
    private static (long Equal, long Count) Agreement(VideoCode a, VideoCode b)
    {
        if (a is not TokenIds x || b is not TokenIds y) return (0, 0);
        long equal = 0, count = 0;
        foreach (var (group, ids) in x.Groups)
        {
            equal += ids.eq(y[group]).sum().item<long>();
            count += ids.numel();
        }
        return (equal, count);
    }

    private static string Signed(double value) =>
        (value < 0 ? "-" : "+") + Math.Abs(value).ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>One video as given; a folder's videos; a manifest's rows of the split.</summary>
    private List<string> Videos() =>
        VideoList.Extensions.Contains(Path.GetExtension(clips)) ? [clips]
        : VideoList.Load(clips, Directory.Exists(clips) ? null : split).Select(v => v.Path).ToList();
}
