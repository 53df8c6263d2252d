using System.Diagnostics;
using System.Globalization;

namespace Tessera.Benchmarks;

/// <summary>
/// The CLI's memory lines (--cli &lt;tessera binary&gt;): `reconstruct` of FFmpeg test-pattern clips, each run's peak read
/// from TESSERA_PEAK_MEMORY_FILE. A 17-frame clip and a --long-frames clip at --cli-size (long-video target: within
/// 10% of the 17-frame peak), and a --hd-frames clip at 1920x1080 (within 4 GB). Off unless asked: long runs take hours
/// on a small machine. --cli-model and --cli-args pass on to each run (e.g. a memory budget or tile size).
/// </summary>
internal sealed class TargetsCli
{
    private readonly string binary;
    private readonly string model;
    private readonly int size;
    private readonly int longFrames;
    private readonly int hdFrames;
    private readonly string[] extra;

    private TargetsCli(string binary, string model, int size, int longFrames, int hdFrames, string[] extra) =>
        (this.binary, this.model, this.size, this.longFrames, this.hdFrames, this.extra) = (binary, model, size, longFrames, hdFrames, extra);

    public static TargetsCli Read(Options options) => new(
        options.String("cli", ""), options.String("cli-model", ""), options.Int("cli-size", 256),
        options.Int("long-frames", 0), options.Int("hd-frames", 0),
        options.String("cli-args", "").Split(' ', StringSplitOptions.RemoveEmptyEntries));

    public IEnumerable<TargetRow> Lines()
    {
        if (binary.Length == 0 || (longFrames == 0 && hdFrames == 0))
        {
            return [new TargetRow("3,600 frames at 256x256, CLI peak vs 17 frames", "within 10%", "not run (--cli, --long-frames 3600)", null),
                    new TargetRow("1920x1080 through tiling, CLI peak", "<= 4 GB", "not run (--cli, --hd-frames)", null)];
        }
        var folder = Directory.CreateTempSubdirectory("tessera-targets-");
        try
        {
            var rows = new List<TargetRow>();
            if (longFrames > 0)
            {
                var shortPeak = Reconstruct(folder.FullName, 17, size, size, sizeArg: true);
                var longPeak = Reconstruct(folder.FullName, longFrames, size, size, sizeArg: true);
                var ratio = longPeak / shortPeak;
                Console.WriteLine($"cli        reconstruct {size}x{size}: 17 frames peak {shortPeak / 1e9:F2} GB, {longFrames} frames peak {longPeak / 1e9:F2} GB ({ratio:F2}x)");
                rows.Add(new TargetRow($"{longFrames} frames at {size}x{size}, CLI peak vs 17 frames", "within 10%", $"{ratio:F2}x ({longPeak / 1e9:F2} vs {shortPeak / 1e9:F2} GB)", ratio <= 1.1));
            }
            if (hdFrames > 0)
            {
                var peak = Reconstruct(folder.FullName, hdFrames, 1920, 1080, sizeArg: false);
                Console.WriteLine($"cli        reconstruct 1920x1080, {hdFrames} frames: peak {peak / 1e9:F2} GB");
                rows.Add(new TargetRow("1920x1080 through tiling, CLI peak", "<= 4 GB", $"{peak / 1e9:F2} GB ({hdFrames} frames)", peak <= 4e9));
            }
            return rows;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Peak bytes of one `reconstruct` of a generated clip.</summary>
    private double Reconstruct(string folder, int frames, int width, int height, bool sizeArg)
    {
        var input = Path.Combine(folder, $"testsrc2_{width}x{height}_{frames}.mp4");
        Run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate=8", "-frames:v", $"{frames}", "-pix_fmt", "yuv420p", input], null);
        var peakFile = Path.Combine(folder, "peak");
        List<string> args = ["reconstruct", input, "--fps", "8", "--output", Path.Combine(folder, "out.mp4"), "--quiet"];
        if (sizeArg) args.AddRange(["--size", $"{width}"]);
        if (model.Length > 0) args.AddRange(["--model", model]);
        args.AddRange(extra);
        Run(binary, args, peakFile);
        return double.Parse(File.ReadAllText(peakFile).Trim(), CultureInfo.InvariantCulture);
    }

    private static void Run(string file, IEnumerable<string> args, string? peakFile)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (peakFile is not null) info.Environment["TESSERA_PEAK_MEMORY_FILE"] = peakFile;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', info.ArgumentList)} exited {process.ExitCode}");
    }
}
