using Tessera.Inference;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Benchmarks;

/// <summary>
/// End-to-end throughput of one preset through the VideoTokenizer facade: encode and decode frames/s and
/// the process's peak RSS. Weights are PyTorch's default random initialisation (no official weights offline):
/// the cost of every layer is the same as with trained weights. Run one preset and size per process so
/// that the peak belongs to it.
/// </summary>
public static class EncodeDecode
{
    public static int Run(Options options)
    {
        var preset = options.String("preset");
        var frames = options.Int("frames", 17);
        var size = options.Int("size", 128);
        var warmup = options.Int("warmup", 1);
        var iters = options.Int("iters", 2);
        var threads = options.Int("threads", 0);
        options.RejectUnknown();

        Measure.PrintHeader("encode-decode", threads);
        var config = VidTokPresets.Get(preset);
        manual_seed(0);
        var rssBefore = Measure.RssMiB();
        using var tokenizer = new VideoTokenizer(new VidTokModel(config), new TokenizerOptions { Threads = threads });
        var parameters = tokenizer.Model.parameters().Sum(p => p.numel());
        Console.WriteLine($"preset     {preset} ({VidTokPresets.Describe(config)}), {parameters / 1e6:F1}M parameters");
        Console.WriteLine("weights    RANDOM (PyTorch default init; official weights are not available offline): speed only, not quality");
        Console.WriteLine($"input      [1, 3, {frames}, {size}, {size}] float32, warm-up {warmup}, measured {iters} (median, best)");
        Console.WriteLine($"model RSS  {Measure.RssMiB() - rssBefore:F0} MiB");

        using var video = rand([1L, 3, frames, size, size]).mul_(2).sub_(1);
        VideoCode? code = null;
        var (encodeSeconds, encodeBest) = Measure.Timings(() =>
        {
            code?.Dispose();
            code = tokenizer.Encode(video);
        }, warmup, iters);
        var (t, h, w) = code!.GridSize;
        var kind = code is TokenIds ids ? $"token ids, codebook {ids.CodebookSize:N0}" : $"latents, {config.ZChannels} channels";
        Console.WriteLine($"code grid  {t} x {h} x {w} ({kind})");

        var (decodeSeconds, decodeBest) = Measure.Timings(() =>
        {
            using var rec = tokenizer.Decode(code);
        }, warmup, iters);
        code.Dispose();

        Console.WriteLine($"encode     {encodeSeconds:F2} s  {frames / encodeSeconds:F2} frames/s  (best {encodeBest:F2} s, {frames / encodeBest:F2} frames/s)");
        Console.WriteLine($"decode     {decodeSeconds:F2} s  {frames / decodeSeconds:F2} frames/s  (best {decodeBest:F2} s, {frames / decodeBest:F2} frames/s)");
        Console.WriteLine($"peak RSS   {Measure.PeakRssMiB():F0} MiB (VmHWM, whole process)");
        return 0;
    }
}
