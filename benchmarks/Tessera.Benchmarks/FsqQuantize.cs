using Tessera.Quantizers;
using static TorchSharp.torch;

namespace Tessera.Benchmarks;

/// <summary>
/// FSQ quantise (codes and token ids) and ids → codes on a realistic latent: 6 channels of 8 levels
/// (262,144 codes) on the 5 x 32 x 32 grid that a 4x8x8 model gives for 17 frames at 256 x 256.
/// Baseline: quantise the channels-first latent as the encoder produces it; candidate: the same latent
/// already channels-last in memory (what a channels-last network would hand over).
/// </summary>
public static class FsqQuantize
{
    public static int Run(Options options)
    {
        var channels = options.Int("channels", 6);
        var frames = options.Int("latent-frames", 5);
        var size = options.Int("latent-size", 32);
        var warmup = options.Int("warmup", 3);
        var iters = options.Int("iters", 20);
        var threads = options.Int("threads", 0);
        options.RejectUnknown();

        Measure.PrintHeader("fsq", threads);
        var fsq = new Fsq(Enumerable.Repeat(8, channels).ToArray());
        manual_seed(0);
        using var grad = no_grad();
        using var latent = randn([1L, channels, frames, size, size]).mul_(2);
        using var latentLast = latent.permute(0, 2, 3, 4, 1).contiguous().permute(0, 4, 1, 2, 3);
        using var ids = fsq.Quantize(latent).Indices;
        var positions = latent.numel() / channels;
        Console.WriteLine($"latent     {Measure.Shape(latent)}, {fsq.CodebookSize:N0} codes, {positions:N0} positions per call");

        var baseline = Time(() => fsq.Quantize(latent));
        var candidate = Time(() => fsq.Quantize(latentLast));
        var decode = Measure.Seconds(() => { using var s = NewDisposeScope(); fsq.IndicesToCodes(ids); }, warmup, iters);
        Console.WriteLine($"baseline   quantize, channels-first latent   {baseline * 1e3:F3} ms  {positions / baseline / 1e6:F1} M positions/s");
        Console.WriteLine($"candidate  quantize, channels-last latent    {candidate * 1e3:F3} ms  {positions / candidate / 1e6:F1} M positions/s");
        Console.WriteLine($"ratio      {baseline / candidate:F2}x (baseline time / candidate time)");
        Console.WriteLine($"ids->codes {decode * 1e3:F3} ms  {positions / decode / 1e6:F1} M positions/s");
        return 0;

        double Time(Func<(Tensor, Tensor)> quantize) => Measure.Seconds(() =>
        {
            using var s = NewDisposeScope();
            quantize();
        }, warmup, iters);
    }
}
