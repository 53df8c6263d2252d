using System.Diagnostics;
using System.Globalization;
using Tessera.Cli;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Benchmarks;

/// <summary>
/// Frames per second of one process through <c>tessera dataset encode</c> (one shard holding every clip) against
/// <c>tessera encode</c> on the same clips, in the same run: once per clip (a model load each, as a naive script would) and
/// once on the whole video (one load, the clips' frames in one pass). A synthetic testsrc2 video of clips × frames frames;
/// random weights of a preset (the cost of each layer does not depend on the values).
/// </summary>
public static class DatasetThroughput
{
    public static int Run(Options options)
    {
        var preset = options.String("preset", "vidtok_fsq_causal_488_4096");
        var clips = options.Int("clips", 6);
        var frames = options.Int("frames", 17);
        var size = options.Int("size", 64);
        var threads = options.Int("threads", 0);
        options.RejectUnknown();
        Measure.PrintHeader("dataset-throughput", threads);

        var dir = Directory.CreateTempSubdirectory("tessera-bench-").FullName;
        try
        {
            var model = Path.Combine(dir, "model.safetensors");
            manual_seed(0);
            using (var m = new VidTokModel(VidTokPresets.Get(preset))) VidTokWeights.Save(model, m);
            var videos = Directory.CreateDirectory(Path.Combine(dir, "videos")).FullName;
            var video = Path.Combine(videos, "clip.mkv");
            const int fps = 10;
            Ffmpeg("-f", "lavfi", "-i", $"testsrc2=size={size}x{size}:rate={fps}", "-frames:v", $"{clips * frames}", "-c:v", "ffv1", video);
            string[] threadArgs = threads > 0 ? ["--threads", $"{threads}"] : [];
            var total = clips * frames;
            Console.WriteLine($"input      {clips} clips of {frames} frames, {size}x{size}, preset {preset} (random weights)");

            Cli("dataset", "plan", videos, "--shards", "1", "--frames", $"{frames}", "-o", Path.Combine(dir, "plan"));
            var dataset = Time(() => Cli(["dataset", "encode", Path.Combine(dir, "plan"), "--shard", "0", "-m", model, "-o", Path.Combine(dir, "out"), "--quiet", .. threadArgs]));
            Console.WriteLine($"dataset encode            {dataset,7:F2} s  {total / dataset,7:F2} frames/s  (one model load, clip by clip, tars + index + checksums)");
            var perClip = Time(() =>
            {
                for (var c = 0; c < clips; c++)
                    Cli(["encode", video, "-m", model, "--start", (c * frames / (double)fps).ToString("R", CultureInfo.InvariantCulture), "--frames", $"{frames}",
                        "-o", Path.Combine(dir, $"clip{c}.safetensors"), "--quiet", .. threadArgs]);
            });
            Console.WriteLine($"tessera encode per clip   {perClip,7:F2} s  {total / perClip,7:F2} frames/s  (a process's work per clip: load, read, encode, write)");
            var whole = Time(() => Cli(["encode", video, "-m", model, "-o", Path.Combine(dir, "whole.safetensors"), "--quiet", .. threadArgs]));
            Console.WriteLine($"tessera encode whole video {whole,6:F2} s  {total / whole,7:F2} frames/s  (one load, one chunked pass)");
            Console.WriteLine($"ratio      dataset / per-clip encode = {perClip / dataset:F2}, dataset / whole-video encode = {whole / dataset:F2} (throughput, higher is faster)");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalSeconds;
    }

    private static void Cli(params string[] args)
    {
        var error = new StringWriter();
        var code = TesseraCli.Run(args, TextWriter.Null, error);
        if (code != 0) throw new InvalidOperationException($"tessera {string.Join(' ', args)} failed ({code}): {error}");
    }

    private static void Ffmpeg(params string[] args)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-nostdin", "-v", "error", "-y" }.Concat(args)) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed: {err}");
    }
}
