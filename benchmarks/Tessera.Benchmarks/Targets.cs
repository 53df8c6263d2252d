using System.Globalization;
using Tessera.Inference;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Benchmarks;

/// <summary>
/// Issue 11's targets in one run: Tessera's fp32 encode and decode speed on one clip (random weights, the FLOP-counting
/// pass as warm-up, median over rounds), achieved GFLOP/s (FLOPs counted from the layers of a real forward) against
/// the float32 matrix-product peak measured in the same process, the decode/encode time ratio beside the FLOP ratio;
/// with --reference and --python the unmodified reference VidTok on the same input shape, alternating with Tessera
/// round by round, its FSQ loss terms on (as shipped) and off; bf16 against fp32, in speed and (--accuracy-clips) in token
/// agreement and PSNR on real clips; the 256x256 peak in a process of
/// its own; optionally the CLI's long-video and 1080p peaks; then a table of every target, met or not.
/// </summary>
public static class Targets
{
    public static int Run(Options options)
    {
        var preset = options.String("preset", "vidtok_fsq_causal_488_262144");
        var frames = options.Int("frames", 17);
        var size = options.Int("size", 128);
        var rounds = Math.Max(1, options.Int("rounds", 2));
        var threads = options.Int("threads", 0);
        var referenceCheckout = options.String("reference", "");
        var python = options.String("python", "python3");
        var referenceWarmup = options.Int("reference-warmup", 1);
        var memorySize = options.Int("memory-size", 256);
        // Smaller temporal chunks for the memory row (comma-separated): causal models decode them exactly as one pass.
        var memoryChunks = options.String("memory-chunks", "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToList();
        var bf16Frames = options.Int("bf16-frames", 1);
        var bf16Size = options.Int("bf16-size", 32);
        var cli = TargetsCli.Read(options);
        var accuracy = TargetsBf16Accuracy.Read(options);
        options.RejectUnknown();

        Measure.PrintHeader("targets", threads);
        threads = get_num_threads();
        Console.WriteLine($"cpu        {CpuInfo.Describe()}");
        Console.WriteLine($"load       {LoadAverage()} (1/5/15 min load average at start; the machine may be shared)");
        Console.WriteLine($"date       {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        var config = VidTokPresets.Get(preset);
        var rows = new List<TargetRow>();

        var (peak, n) = MatmulPeak.Measure();
        Console.WriteLine($"mm peak    {peak:F1} GFLOP/s (float32 torch.mm {n}x{n}, best of 5, {threads} threads)");

        manual_seed(0);
        using var tokenizer = new VideoTokenizer(new VidTokModel(config), new TokenizerOptions { Threads = threads });
        var parameters = tokenizer.Model.parameters().Sum(p => p.numel());
        Console.WriteLine($"preset     {preset} ({VidTokPresets.Describe(config)}), {parameters / 1e6:F1}M parameters, RANDOM weights (speed only)");
        Console.WriteLine($"input      [1, 3, {frames}, {size}, {size}] float32, whole clip, tiling: none (whole frames); rounds {rounds}");
        using var video = rand([1L, 3, frames, size, size]).mul_(2).sub_(1);

        // The counting pass is also the warm-up.
        VideoCode code;
        double encodeFlops, decodeFlops;
        string encodeKinds, decodeKinds;
        using (var counter = new FlopCounter(tokenizer.Model))
        {
            code = tokenizer.Encode(video);
            (encodeFlops, encodeKinds) = (counter.Flops, Kinds(counter));
        }
        using (var counter = new FlopCounter(tokenizer.Model))
        using (tokenizer.Decode(code))
            (decodeFlops, decodeKinds) = (counter.Flops, Kinds(counter));
        if (encodeFlops == 0 || decodeFlops == 0)
            throw new InvalidOperationException("the FLOP counter saw no layer: did the model run on another thread?");
        Console.WriteLine($"FLOPs      encode {encodeFlops / 1e9:F1} G ({encodeKinds}); decode {decodeFlops / 1e9:F1} G ({decodeKinds})");

        using var reference = referenceCheckout.Length == 0 ? null : StartReference(python, referenceCheckout, preset, frames, size, threads, referenceWarmup);

        var tEnc = new List<double>();
        var tDec = new List<double>();
        var rEncOn = new List<double>();
        var rEncOff = new List<double>();
        var rDec = new List<double>();
        for (var r = 1; r <= rounds; r++)
        {
            tEnc.Add(Time(() => tokenizer.Encode(video).Dispose()));
            if (reference is not null) { rEncOn.Add(reference.Encode(entropy: true)); rEncOff.Add(reference.Encode(entropy: false)); }
            tDec.Add(Time(() => tokenizer.Decode(code).Dispose()));
            if (reference is not null) rDec.Add(reference.Decode());
            var encLine = $"round {r}    encode  tessera {tEnc[^1],6:F1} s";
            var decLine = $"round {r}    decode  tessera {tDec[^1],6:F1} s";
            if (reference is not null)
            {
                encLine += $"   reference {rEncOn[^1]:F1} s (entropy on), {rEncOff[^1]:F1} s (off)   Tessera speed / reference: {rEncOn[^1] / tEnc[^1]:F2}x on, {rEncOff[^1] / tEnc[^1]:F2}x off";
                decLine += $"   reference {rDec[^1]:F1} s   Tessera speed / reference: {rDec[^1] / tDec[^1]:F2}x";
            }
            Console.WriteLine(encLine);
            Console.WriteLine(decLine);
        }
        code.Dispose();

        double enc = Median(tEnc), dec = Median(tDec);
        var tesseraPeak = Measure.PeakRssMiB();
        double encRate = encodeFlops / enc / 1e9, decRate = decodeFlops / dec / 1e9;
        Console.WriteLine($"tessera    encode {enc:F2} s = {frames / enc:F2} frames/s, {encRate:F1} GFLOP/s = {encRate / peak:P0} of mm peak");
        Console.WriteLine($"tessera    decode {dec:F2} s = {frames / dec:F2} frames/s, {decRate:F1} GFLOP/s = {decRate / peak:P0} of mm peak");
        Console.WriteLine($"tessera    decode/encode time {dec / enc:F2}x; FLOP ratio {decodeFlops / encodeFlops:F2}x (the decoder's extra block per level and full-resolution time upsampling)");
        Console.WriteLine($"tessera    peak RSS {tesseraPeak:F0} MiB (VmHWM of this process so far: model, FLOP pass, rounds)");
        if (reference is not null)
        {
            double on = Median(rEncOn), off = Median(rEncOff), rd = Median(rDec);
            var refPeak = reference.PeakMiB();
            Console.WriteLine($"reference  encode {on:F2} s (entropy on) = {frames / on:F2} frames/s, {off:F2} s (off); decode {rd:F2} s = {frames / rd:F2} frames/s; peak RSS {refPeak:F0} MiB (its own process)");
            rows.Add(new TargetRow("fp32 encode speed vs reference, entropy on", ">= 3x", $"{on / enc:F2}x", on / enc >= 3));
            rows.Add(new TargetRow("fp32 encode speed vs reference, entropy off", ">= 3x", $"{off / enc:F2}x", off / enc >= 3));
            rows.Add(new TargetRow("fp32 decode speed vs reference", ">= 3x", $"{rd / dec:F2}x", rd / dec >= 3));
        }
        else
        {
            rows.Add(new TargetRow("fp32 encode/decode speed vs reference", ">= 3x", "not run (give --reference and --python)", null));
        }
        rows.Add(new TargetRow("fp32 encode, % of mm peak", ">= 50%", $"{encRate / peak:P0} ({encRate:F1} of {peak:F1} GFLOP/s)", encRate / peak >= 0.5));
        rows.Add(new TargetRow("fp32 decode, % of mm peak", ">= 50%", $"{decRate / peak:P0} ({decRate:F1} of {peak:F1} GFLOP/s)", decRate / peak >= 0.5));
        rows.Add(new TargetRow("decode time / encode time", "<= 1.3x", $"{dec / enc:F2}x (FLOPs {decodeFlops / encodeFlops:F2}x)", dec / enc <= 1.3));

        rows.AddRange(Guarded("bf16", () => Bf16(config, tokenizer, video, enc, dec, bf16Frames, bf16Size, threads, rounds)));
        rows.AddRange(Guarded("bf16 acc", () => accuracy.Lines(threads)));
        rows.AddRange(Guarded("memory", () => TargetsMemory.Lines(preset, frames, memorySize, threads, cli, memoryChunks)));

        Console.WriteLine();
        Console.WriteLine($"| target | threshold | measured | status |");
        Console.WriteLine($"|---|---|---|---|");
        foreach (var row in rows)
            Console.WriteLine(row.ToMarkdown());
        return 0;
    }

    private static ReferenceRunner StartReference(string python, string checkout, string preset, int frames, int size, int threads, int warmup)
    {
        var runner = ReferenceRunner.Start(python, checkout, preset, frames, size, threads);
        var ready = runner.Ready;
        Console.WriteLine($"reference  {checkout} (unmodified VidTok), torch {ready.GetProperty("torch").GetString()}, {ready.GetProperty("threads").GetInt32()} threads, " +
            $"{ready.GetProperty("parameters").GetInt64() / 1e6:F1}M parameters, {ready.GetProperty("regularizer").GetString()} loss weights {ready.GetProperty("loss_weights")}, same shape, its own random init");
        for (var i = 0; i < warmup; i++) { runner.Encode(entropy: true); runner.Decode(); }
        return runner;
    }

    private static IEnumerable<TargetRow> Bf16(VidTokConfig config, VideoTokenizer fp32, Tensor video, double enc, double dec, int smallFrames, int smallSize, int threads, int rounds)
    {
        var native = CpuInfo.HasNativeBf16 == true;
        if (!native && smallSize <= 0)
            return [new TargetRow("bf16 speed vs fp32 (AVX512-BF16 CPU)", ">= 1.6x", "not run (no native bf16 here; --bf16-size 0)", null)];
        // Emulated bfloat16 runs libtorch's slow fallback kernels: one pass each, no warm-up, on a small input.
        var iters = native ? rounds : 1;
        manual_seed(0);
        using var bf16 = new VideoTokenizer(new VidTokModel(config), new TokenizerOptions { Threads = threads, Precision = ComputePrecision.BFloat16 });
        using var input = native ? video.alias() : rand([1L, 3, smallFrames, smallSize, smallSize]).mul_(2).sub_(1);
        try
        {
            double fe = enc, fd = dec;
            if (!native) (fe, fd) = EncodeDecode(fp32, input, iters, warmup: true);
            var (be, bd) = EncodeDecode(bf16, input, iters, warmup: native);
            var label = native
                ? $"native bf16, {Measure.Shape(input)}"
                : $"EMULATED bf16 (this CPU has no AVX512-BF16/AMX), small input {Measure.Shape(input)}: not a target measurement";
            Console.WriteLine($"bf16       encode {be:F2} s vs fp32 {fe:F2} s = {fe / be:F2}x; decode {bd:F2} s vs fp32 {fd:F2} s = {fd / bd:F2}x ({label})");
            var measured = $"encode {fe / be:F2}x, decode {fd / bd:F2}x{(native ? "" : " (emulated, small input)")}";
            return [new TargetRow("bf16 speed vs fp32 (AVX512-BF16 CPU)", ">= 1.6x", measured, native ? fe / be >= 1.6 && fd / bd >= 1.6 : null)];
        }
        catch (NumericalException e)
        {
            Console.WriteLine($"bf16       stopped: {e.Message}");
            return [new TargetRow("bf16 speed vs fp32 (AVX512-BF16 CPU)", ">= 1.6x", $"failed: {e.Message}", false)];
        }
    }

    /// <summary>Median encode and decode seconds, after one warm-up of each when asked (the warm-up encode gives the codes).</summary>
    private static (double Encode, double Decode) EncodeDecode(VideoTokenizer tokenizer, Tensor video, int iters, bool warmup)
    {
        VideoCode? code = null;
        if (warmup)
        {
            code = tokenizer.Encode(video);
            tokenizer.Decode(code).Dispose();
        }
        var e = Measure.Seconds(() => { code?.Dispose(); code = tokenizer.Encode(video); }, 0, iters);
        var d = Measure.Seconds(() => tokenizer.Decode(code!).Dispose(), 0, iters);
        code!.Dispose();
        return (e, d);
    }

    /// <summary>A section that fails (a missing tool, a refused input) becomes a row saying so; the table still prints.</summary>
    private static IEnumerable<TargetRow> Guarded(string section, Func<IEnumerable<TargetRow>> run)
    {
        try { return run().ToList(); }
        catch (Exception e) when (e is InvalidOperationException or IOException or TesseraException or System.ComponentModel.Win32Exception or System.Text.Json.JsonException)
        {
            Console.WriteLine($"{section,-10} failed: {e.Message}");
            return [new TargetRow($"{section} section", "", $"failed: {e.Message.Split('\n')[0]}", null)];
        }
    }

    private static double Time(Action action) => Measure.Seconds(action, 0, 1);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Kinds(FlopCounter counter) =>
        string.Join(", ", counter.MacsByKind.OrderByDescending(k => k.Value).Select(k => $"{k.Key} {2 * k.Value / 1e9:F1}"));

    internal static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }

    }
