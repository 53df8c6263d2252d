using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tessera.Inference;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Benchmarks;

/// <summary>
/// The memory targets: one clip's encode + decode peak in a process of its own (this benchmark re-run as the hidden
/// <c>targets-memory</c>, so the peak is that clip's alone), and, with --cli, the CLI's own peak
/// (TESSERA_PEAK_MEMORY_FILE) on a 17-frame clip, a long clip and a 1920x1080 clip.
/// </summary>
internal static class TargetsMemory
{
    private const double Gb = 1e9;

    /// <summary>The hidden sub-benchmark: encode then decode one random clip, print one JSON line with the peak.</summary>
    public static int Run(Options options)
    {
        var preset = options.String("preset");
        var frames = options.Int("frames", 17);
        var size = options.Int("size", 256);
        var threads = options.Int("threads", 0);
        var chunk = options.Int("chunk", new TokenizerOptions().TemporalChunk);
        options.RejectUnknown();
        if (threads > 0) set_num_threads(threads);
        manual_seed(0);
        using var tokenizer = new VideoTokenizer(new VidTokModel(VidTokPresets.Get(preset)), new TokenizerOptions { Threads = threads, TemporalChunk = chunk });
        using var video = rand([1L, 3, frames, size, size]).mul_(2).sub_(1);
        var sw = Stopwatch.StartNew();
        using var code = tokenizer.Encode(video);
        var encode = sw.Elapsed.TotalSeconds;
        var encodePeak = Measure.PeakRssMiB();
        sw.Restart();
        using (tokenizer.Decode(code)) { }
        Console.WriteLine(JsonSerializer.Serialize(new { peak_mib = Measure.PeakRssMiB(), encode_peak_mib = encodePeak, encode_s = encode, decode_s = sw.Elapsed.TotalSeconds }));
        return 0;
    }

    /// <param name="chunks">Temporal chunks to measure besides the default one (causal models: exact, only smaller).</param>
    public static IEnumerable<TargetRow> Lines(string preset, int frames, int size, int threads, TargetsCli cli, IReadOnlyList<int>? chunks = null)
    {
        var rows = new List<TargetRow>();
        if (size > 0)
        {
            foreach (var chunk in new[] { new TokenizerOptions().TemporalChunk }.Concat(chunks ?? []))
            {
                var json = RunSelf(["targets-memory", "--preset", preset, "--frames", $"{frames}", "--size", $"{size}", "--threads", $"{threads}", "--chunk", $"{chunk}"]);
                var peak = json.GetProperty("peak_mib").GetDouble();
                var bytes = peak * 1024 * 1024;
                var encodePeak = json.GetProperty("encode_peak_mib").GetDouble() * 1024 * 1024;
                Console.WriteLine($"memory     {frames}x{size}x{size} encode+decode, temporal chunk {chunk}, own process: peak {peak:F0} MiB = {bytes / Gb:F2} GB, " +
                    $"{encodePeak / Gb:F2} GB after encode (encode {json.GetProperty("encode_s").GetDouble():F1} s, decode {json.GetProperty("decode_s").GetDouble():F1} s)");
                rows.Add(new TargetRow($"{frames}x{size}x{size} encode+decode peak, full model, chunk {chunk}", "<= 4 GB", $"{bytes / Gb:F2} GB", bytes <= 4 * Gb));
            }
        }
        rows.AddRange(cli.Lines());
        return rows;
    }

    /// <summary>Runs this benchmark binary again with <paramref name="args"/>; its last stdout line is JSON.</summary>
    private static JsonElement RunSelf(string[] args)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(TargetsMemory).Assembly.Location);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {self}");
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        if (process.ExitCode != 0 || lines.Length == 0)
            throw new InvalidOperationException($"{string.Join(' ', args)} exited {process.ExitCode.ToString(CultureInfo.InvariantCulture)}");
        return JsonDocument.Parse(lines[^1]).RootElement;
    }
}
