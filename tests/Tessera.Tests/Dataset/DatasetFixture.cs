using System.Diagnostics;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Video;

namespace Tessera.Tests.Dataset;

/// <summary>Tiny models, clips and tessera processes for the dataset tests.</summary>
internal static class DatasetFixture
{
    public static string TinyModel(TempDir dir, bool fsq = true)
    {
        var path = dir.File(fsq ? "tiny.safetensors" : "tiny-kl.safetensors");
        using var m = TinyModels.Model(VidTokFamily.CausalV1_1, fsq);
        VidTokWeights.Save(path, m);
        return path;
    }

    /// <summary>
    /// A folder of small videos: the first 1.5 s of each real clip of ../shared/data/clips scaled to 48 pixels wide (when
    /// present), a synthetic testsrc2 clip, and a file that is not a video.
    /// </summary>
    public static string Videos(TempDir dir, bool real)
    {
        var folder = Directory.CreateDirectory(dir.File("videos")).FullName;
        if (real)
        {
            var clips = TestPaths.Shared("data", "clips") ?? throw new InvalidOperationException("no shared clips");
            foreach (var clip in Directory.EnumerateFiles(clips, "*.mp4").Order(StringComparer.Ordinal).Take(3))
                TestMedia.Ffmpeg("-i", clip, "-t", "1.5", "-vf", "scale=48:-2", "-c:v", "ffv1", Path.Combine(folder, Path.GetFileNameWithoutExtension(clip) + ".mkv"));
        }
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=40x32:rate=10", "-frames:v", "23", "-c:v", "ffv1", Path.Combine(folder, "synthetic.mkv"));
        File.WriteAllBytes(Path.Combine(folder, "broken.mp4"), [0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 1, 2, 3]);
        return folder;
    }

    public static ProcessStartInfo Tessera(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Tessera.Cli"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        // The scheduler variables of the machine running the tests must not pick the shard.
        start.Environment.Remove("JOB_COMPLETION_INDEX");
        start.Environment.Remove("SLURM_ARRAY_TASK_ID");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        return start;
    }

    /// <summary>Runs tessera to the end; returns (exit code, stdout, stderr).</summary>
    public static (int Code, string Out, string Error) Run(params string[] args) => Wait(Process.Start(Tessera(args))!);

    public static (int Code, string Out, string Error) Wait(Process p)
    {
        using (p)
        {
            var o = p.StandardOutput.ReadToEndAsync();
            var e = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "tessera still running after 5 minutes");
            return (p.ExitCode, o.Result, e.Result);
        }
    }

    /// <summary>The visible files of an output folder (hidden work folders excluded) except the timing files, by name.</summary>
    public static SortedDictionary<string, byte[]> Outputs(string folder) => new(
        Directory.EnumerateFiles(folder).Select(Path.GetFileName).Where(n => !n!.StartsWith('.') && !n.EndsWith(".timing.json", StringComparison.Ordinal))
            .ToDictionary(n => n!, n => File.ReadAllBytes(Path.Combine(folder, n!))), StringComparer.Ordinal);

    /// <summary>Every sample of every tar in a folder: key.ext → bytes.</summary>
    public static SortedDictionary<string, byte[]> Samples(string folder)
    {
        var samples = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var tar in Directory.EnumerateFiles(folder, "*.tar"))
            foreach (var m in global::Tessera.Dataset.UstarArchive.List(tar))
                samples.Add(m.Name, global::Tessera.Dataset.UstarArchive.Read(tar, m));
        return samples;
    }
}
