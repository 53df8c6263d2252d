using System.Diagnostics;
using System.Reflection;
using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Benchmarks;

/// <summary>
/// Where VidTok encode and decode time and memory go. Loads a model (a Tessera model file such as the bundled
/// model, or a preset with random weights), runs the encoder and the decoder on one clip as one chunk (whole-clip
/// cache), first as a whole (time, peak RSS) and then piece by piece (conv_in, each level's spatial and temporal
/// residual blocks, the spatial and temporal resamplers, the mid block, norm_out + conv_out), printing each piece's
/// time, share, output shape, MAC count (FlopCounter: convolutions and attention matmuls as they ran)
/// and GMAC/s, so the pieces that run far below the machine's rate stand out. Each piece's extra RSS is its
/// VmHWM above the RSS before it (VmHWM is reset through /proc/self/clear_refs). The piece-by-piece run
/// reproduces the modules' forward loops through reflection and is checked against the modules' own output.
/// Then the facade's encode/decode (the CLI's path: chunked for v1.1) for the same clip, with its peak RSS.
/// </summary>
public static class DecodeProfile
{
    private sealed record Row(string Name, double Seconds, string Shape, double Macs, double ExtraMiB);

    public static int Run(Options options)
    {
        var model = options.String("model");
        var frames = options.Int("frames", 17);
        var size = options.Int("size", 128);
        var iters = options.Int("iters", 1);
        var threads = options.Int("threads", 0);
        var facade = options.Int("facade", 1);
        options.RejectUnknown();

        Measure.PrintHeader("decode-profile", threads);
        manual_seed(0);
        using var tokenizer = Load(model, threads);
        var vidtok = (VidTokModel)tokenizer.Model;
        var parameters = vidtok.parameters().Sum(p => p.numel());
        Console.WriteLine($"model      {vidtok.Config.Name} ({vidtok.Config.Family}), {parameters / 1e6:F2}M parameters{(File.Exists(model) ? "" : ", RANDOM weights")}");
        Console.WriteLine($"input      [1, 3, {frames}, {size}, {size}] float32; whole clip as one chunk; measured {iters} (best)");
        using var grad = no_grad();
        using var video = rand([1L, 3, frames, size, size]).mul_(2).sub_(1);

        // Whole modules.
        Tensor latent;
        {
            latent = vidtok.EncodeRaw(video, CausalCache.None());
            if (vidtok.Fsq is { } fsq) { var (q, ids) = fsq.Quantize(latent); ids.Dispose(); latent.Dispose(); latent = q; }
            else latent = latent[.., ..(int)vidtok.Config.ZChannels].contiguous();
        }
        var (encodeSeconds, encodePeak) = Whole(() => vidtok.EncodeRaw(video, CausalCache.None()), iters);
        var (decodeSeconds, decodePeak) = Whole(() => vidtok.DecodeRaw(latent, CausalCache.None()), iters);
        Console.WriteLine($"latent     {Measure.Shape(latent)}");
        Console.WriteLine($"encode     {encodeSeconds:F2} s   peak RSS {encodePeak:F0} MiB");
        Console.WriteLine($"decode     {decodeSeconds:F2} s   peak RSS {decodePeak:F0} MiB");
        Console.WriteLine($"ratio      decode / encode time {decodeSeconds / encodeSeconds:F2}");

        // Piece by piece.
        var encRows = new List<Row>();
        using (var check = vidtok.EncodeRaw(video, CausalCache.None()))
        using (var pieces = ProfileEncoder(vidtok.Encoder, vidtok.Config, video, encRows))
            Console.WriteLine($"check      encoder pieces vs module: max |diff| {(check - pieces).abs().max().item<float>():G3}");
        Print("encoder", encRows);
        var decRows = new List<Row>();
        using (var check = vidtok.DecodeRaw(latent, CausalCache.None()))
        using (var pieces = ProfileDecoder(vidtok.Decoder, vidtok.Config, latent, decRows))
            Console.WriteLine($"check      decoder pieces vs module: max |diff| {(check - pieces).abs().max().item<float>():G3}");
        Print("decoder", decRows);
        latent.Dispose();

        if (facade != 0)
        {
            ResetPeak();
            var sw = Stopwatch.StartNew();
            using var code = tokenizer.Encode(video);
            var enc = sw.Elapsed.TotalSeconds;
            var encPeak = Measure.PeakRssMiB();
            ResetPeak();
            sw.Restart();
            using (tokenizer.Decode(code)) { }
            var dec = sw.Elapsed.TotalSeconds;
            Console.WriteLine($"facade     encode {enc:F2} s (peak {encPeak:F0} MiB), decode {dec:F2} s (peak {Measure.PeakRssMiB():F0} MiB), " +
                $"ratio {dec / enc:F2}{(tokenizer.UsesChunking(frames) ? $", chunked by {tokenizer.Options.TemporalChunk} frames" : "")}");
        }
        return 0;
    }

    private static VideoTokenizer Load(string model, int threads)
    {
        var options = new TokenizerOptions { Threads = threads };
        if (File.Exists(model)) return VideoTokenizer.Load(model, options: options);
        return new VideoTokenizer(new VidTokModel(VidTokPresets.Get(model)), options);
    }

    private static (double Seconds, double PeakMiB) Whole(Func<Tensor> run, int iters)
    {
        var best = double.MaxValue;
        var peak = 0.0;
        for (var i = 0; i < Math.Max(1, iters); i++)
        {
            ResetPeak();
            var sw = Stopwatch.StartNew();
            run().Dispose();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
            peak = Math.Max(peak, Measure.PeakRssMiB());
        }
        return (best, peak);
    }

    /// <summary>Resets VmHWM to the current RSS (Linux ≥ 4.0); without it the peaks are the process's.</summary>
    private static void ResetPeak()
    {
        GC.Collect();
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static T Field<T>(object o, string name) =>
        (T)(o.GetType().GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)
            ?? throw new MissingFieldException(o.GetType().Name, name)).GetValue(o)!;

    /// <summary>Runs <paramref name="run"/> on <paramref name="input"/>, disposes the input, records one row (MACs from <see cref="FlopCounter"/>).</summary>
    private static Tensor Piece(List<Row> rows, string name, Tensor input, Func<Tensor, Tensor> run, bool disposeInput = true)
    {
        ResetPeak();
        var before = Measure.RssMiB();
        Tensor output;
        double macs;
        var sw = Stopwatch.StartNew();
        using (var counter = new FlopCounter())
        {
            output = run(input);
            macs = counter.Macs;
        }
        var seconds = sw.Elapsed.TotalSeconds;
        var extra = Measure.PeakRssMiB() - before;
        rows.Add(new Row(name, seconds, Measure.Shape(output), macs, extra));
        if (disposeInput) input.Dispose();
        return output;
    }

    private static Tensor ProfileEncoder(Encoder encoder, VidTokConfig config, Tensor video, List<Row> rows)
    {
        var cache = CausalCache.None();
        var convIn = Field<StreamModule>(encoder, "conv_in");
        var down = Field<ModuleList<Level>>(encoder, "down");
        var downTemporal = Field<ModuleList<Level>>(encoder, "down_temporal");
        var mid = Field<MidBlock>(encoder, "mid");
        var normOut = Field<nn.Module<Tensor, Tensor>>(encoder, "norm_out");
        var convOut = Field<StreamModule>(encoder, "conv_out");
        var padFront = typeof(Encoder).GetMethod("PadFront", BindingFlags.NonPublic | BindingFlags.Instance)!;

        var h = Piece(rows, "conv_in (+front pad)", video, x =>
        {
            using var padded = (Tensor)padFront.Invoke(encoder, [x])!;
            return convIn.forward(padded, cache);
        }, disposeInput: false);
        for (var i = 0; i < config.Levels; i++)
        {
            for (var j = 0; j < config.NumResBlocks; j++)
            {
                var s = down[i].Block(j);
                var t = downTemporal[i].Block(j);
                h = Piece(rows, $"down.{i} spatial res block", h, x => s.forward(x, cache));
                h = Piece(rows, $"down.{i} temporal res block", h, x => t.forward(x, cache));
            }
            if (down[i].Resample is { } spatial) h = Piece(rows, $"down.{i} downsample", h, x => spatial.forward(x, cache));
            if (downTemporal[i].Resample is { } temporal) h = Piece(rows, $"down.{i} time downsample", h, x => temporal.forward(x, cache));
        }
        h = Piece(rows, "mid", h, x => mid.forward(x, cache));
        return Piece(rows, "norm_out+silu+conv_out", h, x =>
        {
            using var n = normOut.forward(x);
            using var a = nn.functional.silu(n);
            return convOut.forward(a, cache);
        });
    }

    private static Tensor ProfileDecoder(Decoder decoder, VidTokConfig config, Tensor latent, List<Row> rows)
    {
        var cache = CausalCache.None();
        var convIn = Field<StreamModule>(decoder, "conv_in");
        var mid = Field<MidBlock>(decoder, "mid");
        var up = Field<ModuleList<Level>>(decoder, "up");
        var upTemporal = Field<ModuleList<Level>>(decoder, "up_temporal");
        var normOut = Field<nn.Module<Tensor, Tensor>>(decoder, "norm_out");
        var convOut = Field<StreamModule>(decoder, "conv_out");

        var h = Piece(rows, "conv_in", latent, x => convIn.forward(x, cache), disposeInput: false);
        h = Piece(rows, "mid", h, x => mid.forward(x, cache));
        for (var i = config.Levels - 1; i >= 0; i--)
        {
            for (var j = 0; j <= config.NumResBlocks; j++)
            {
                var s = up[i].Block(j);
                var t = upTemporal[i].Block(j);
                h = Piece(rows, $"up.{i} spatial res block", h, x => s.forward(x, cache));
                h = Piece(rows, $"up.{i} temporal res block", h, x => t.forward(x, cache));
            }
            if (up[i].Resample is { } spatial) h = Piece(rows, $"up.{i} upsample", h, x => spatial.forward(x, cache));
            if (upTemporal[i].Resample is { } temporal) h = Piece(rows, $"up.{i} time upsample", h, x => temporal.forward(x, cache));
        }
        var output = Piece(rows, "norm_out+silu+conv_out", h, x =>
        {
            using var n = normOut.forward(x);
            using var a = nn.functional.silu(n);
            return convOut.forward(a, cache);
        });
        if (config.Family != VidTokFamily.CausalV1_0) return output;
        using (output)
            return output[.., .., (config.TimeDownsampleFactor - 1)..].contiguous();
    }

    /// <summary>One line per piece kind (rows of the same name summed, e.g. a level's res blocks), in order of first appearance.</summary>
    private static void Print(string part, List<Row> rows)
    {
        var total = rows.Sum(r => r.Seconds);
        var totalMacs = rows.Sum(r => r.Macs);
        Console.WriteLine($"{part} pieces: sum {total:F2} s, {totalMacs / 1e9:F1} GMAC, {totalMacs / 1e9 / total:F1} GMAC/s overall");
        Console.WriteLine($"  {"piece",-28} {"n",2} {"time s",8} {"share",6} {"GMAC",7} {"GMAC/s",7} {"+RSS MiB",9}  output");
        foreach (var g in rows.GroupBy(r => r.Name))
        {
            var s = g.Sum(r => r.Seconds);
            var m = g.Sum(r => r.Macs);
            Console.WriteLine($"  {g.Key,-28} {g.Count(),2} {s,8:F3} {s / total,6:P0} {m / 1e9,7:F2} {m / 1e9 / s,7:F1} {g.Max(r => r.ExtraMiB),9:F0}  {g.Last().Shape}");
        }
    }
}
