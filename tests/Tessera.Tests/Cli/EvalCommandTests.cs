using System.Globalization;
using System.Text.Json;
using Tessera.Checkpoints;
using Tessera.Metrics;
using Tessera.Metrics.Fvd;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Metrics;
using Tessera.Tests.Video;

namespace Tessera.Tests.Cli;

/// <summary>`tessera eval` on two tiny generated videos and one corrupt file with a tiny v1.1 model.</summary>
[DisposeScopePerTest]
public sealed class EvalCommandTests
{
    /// <summary>A tiny random-weight model file in <paramref name="dir"/>.</summary>
    private static string TinyModel(TempDir dir, VidTokFamily family = VidTokFamily.CausalV1_1, bool fsq = true, string name = "tiny.safetensors")
    {
        var path = dir.File(name);
        using var m = TinyModels.Model(family, fsq);
        VidTokWeights.Save(path, m);
        return path;
    }

    /// <summary>A folder <c>v/</c> holding one lossless <c>a.mkv</c> of <paramref name="frames"/> testsrc2 frames at 10 fps.</summary>
    private static string OneVideoFolder(TempDir dir, string size, int frames)
    {
        Directory.CreateDirectory(dir.File("v"));
        TestMedia.Ffmpeg("-f", "lavfi", "-i", $"testsrc2=size={size}:rate=10", "-frames:v", $"{frames}", "-c:v", "ffv1", dir.File("v/a.mkv"));
        return dir.File("v");
    }

    [Fact]
    public void Eval_TwoVideosAndACorruptOne_WritesEverything_ReportsTheFailure_Exits3()
    {
        using var dir = new TempDir();
        var model = TinyModel(dir);
        var videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        Directory.CreateDirectory(Path.Combine(videos, "sub"));
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=48x32:rate=10:duration=2", "-pix_fmt", "yuv420p", Path.Combine(videos, "a.mp4"));
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=32x32:rate=10", "-frames:v", "9", "-c:v", "ffv1", Path.Combine(videos, "sub", "b.mkv"));
        File.WriteAllBytes(Path.Combine(videos, "broken.mp4"), [0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 1, 2, 3]);
        File.WriteAllText(Path.Combine(videos, "notes.txt"), "not a video");
        var output = dir.File("out");

        var r = CliRunner.Run("eval", videos, "-m", model, "--fps", "10", "--size", "16", "--frames", "8", "-o", output);

        Assert.Equal(3, r.ExitCode);
        Assert.Contains("broken.mp4", r.Error);
        Assert.Contains("1 of 3 videos could not be evaluated", r.Error);
        Assert.Single(r.Error.Split('\n'), l => l.StartsWith("warning: LPIPS", StringComparison.Ordinal));
        foreach (var f in new[] { "summary.json", "summary.md", "results.csv", "report.html", "videos/a.mp4.csv", "videos/a.mp4.json",
                     "videos/sub__b.mkv.csv", "videos/sub__b.mkv.json", "videos/broken.mp4.json" })
            Assert.True(File.Exists(Path.Combine(output, f)), f);
        Assert.Empty(Directory.EnumerateFiles(output, "*.tmp", SearchOption.AllDirectories));

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal(2, root.GetProperty("succeeded").GetInt32());
        Assert.Equal(1, root.GetProperty("failed").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("fvd").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("metrics").GetProperty("lpips").ValueKind);
        Assert.True(root.GetProperty("metrics").GetProperty("psnr").GetDouble() > 0);
        // 20 frames → clips of 8, 8, 4+4 padded; 9 frames → 8, 1+7 padded: 40 evaluated frames.
        Assert.Equal(40, root.GetProperty("evaluated_frames").GetInt32());
        var failure = root.GetProperty("failures")[0];
        Assert.Equal("broken.mp4", failure.GetProperty("name").GetString());
        Assert.False(string.IsNullOrWhiteSpace(failure.GetProperty("error").GetString()));
        Assert.True(root.GetProperty("codebook").GetProperty("used_codes").GetInt64() > 0);

        var csv = File.ReadAllLines(Path.Combine(output, "videos", "a.mp4.csv"));
        Assert.Equal("frame,clip,source_frame,padded,psnr,ssim,lpips", csv[0]);
        Assert.Equal(24, csv.Length - 1);
        Assert.EndsWith(",n/a", csv[^1]);
        Assert.StartsWith("23,2,19,1,", csv[^1]);

        var md = File.ReadAllText(Path.Combine(output, "summary.md"));
        Assert.Contains("FVD: n/a", md);
        Assert.Contains("failed:", md);
        var html = File.ReadAllText(Path.Combine(output, "report.html"));
        Assert.Contains("data:image/png;base64,", html);
        Assert.Contains("<svg", html);
        Assert.DoesNotContain("lpips\": 0", File.ReadAllText(Path.Combine(output, "summary.json")));
    }

    [Fact]
    public void Eval_EveryVideoFails_Exits3_SaysSo_AndPrintsNoResultTable()
    {
        using var dir = new TempDir();
        var model = TinyModel(dir);
        var videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        File.WriteAllBytes(Path.Combine(videos, "broken.mp4"), [0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 1, 2, 3]);
        File.WriteAllBytes(Path.Combine(videos, "empty.mkv"), []);
        var output = dir.File("out");

        var r = CliRunner.Run("eval", videos, "-m", model, "--fps", "10", "--size", "16", "--frames", "8", "-o", output);

        Assert.Equal(3, r.ExitCode);
        Assert.Contains("none of the 2 videos could be evaluated", r.Error);
        Assert.Equal("", r.Out);
        Assert.Contains("No video could be evaluated", File.ReadAllText(Path.Combine(output, "report.html")));
        Assert.Contains("No video could be evaluated", File.ReadAllText(Path.Combine(output, "summary.md")));
    }

    [Fact]
    public void Eval_Manifest_Split_AllGood_Exits0()
    {
        using var dir = new TempDir();
        var model = TinyModel(dir, VidTokFamily.NonCausal, fsq: false);
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=32x32:rate=10:duration=0.8", "-c:v", "ffv1", dir.File("x.mkv"));
        File.WriteAllText(dir.File("m.csv"), "videos,split\nx.mkv,eval\nmissing.mp4,train\n");

        var r = CliRunner.Run("eval", dir.File("m.csv"), "--split", "eval", "-m", model, "--size", "16", "--frames", "4", "-o", dir.File("out"));

        Assert.True(r.ExitCode == 0, r.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(dir.File("out/summary.json")));
        Assert.Equal(1, summary.RootElement.GetProperty("succeeded").GetInt32());
        Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("codebook").ValueKind);   // KL model: no codebook
        Assert.Contains("| x.mkv |", r.Out);
    }

    [Fact]
    public void Eval_Long_TruncatesAsTheReference_AndRefusesNonV11Models()
    {
        using var dir = new TempDir();
        var model = TinyModel(dir);
        OneVideoFolder(dir, "32x32", 20);

        var r = CliRunner.Run("eval", dir.File("v"), "-m", model, "--size", "16", "--long", "--chunk", "8", "-o", dir.File("out"));

        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("out/videos/a.mkv.json")));
        Assert.Equal(17, json.RootElement.GetProperty("evaluated_frames").GetInt32());   // 8·⌊19/8⌋ + 1
        Assert.Equal(3, json.RootElement.GetProperty("dropped_frames").GetInt32());
        Assert.Equal(1, json.RootElement.GetProperty("clips").GetInt32());

        var nonCausal = TinyModel(dir, VidTokFamily.NonCausal, name: "nc.safetensors");
        var refused = CliRunner.Run("eval", dir.File("v"), "-m", nonCausal, "--size", "16", "--long", "-o", dir.File("out2"));
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("causal v1.1", refused.Error);
    }

    [Theory]
    [InlineData("--lpips-weights", "vgg16.pth", "--lpips-heads")]
    [InlineData("--lpips-net", "resnet", "--lpips-net must be vgg or alex")]
    public void Eval_BadLpipsOptions_AreUsageErrors(string option, string value, string message)
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("eval", dir.Path, "-m", "x", option, value, "-o", dir.File("out"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error);
    }

    /// <summary>
    /// LPIPS end to end with small synthetic AlexNet weights (2.5 M parameters, torchvision key names) and v0.1-style heads
    /// written by the test; AlexNet needs frames of at least 31×31.
    /// </summary>
    [Fact]
    public void Eval_WithLpipsAlex_ReportsPerFrameValues_AndFrameWeightedMeans()
    {
        using var dir = new TempDir();
        var model = TinyModel(dir);
        using (var trunk = LpipsSynthetic.Backbone(LpipsBackbone.AlexNet)) SafeTensorsFile.Save(dir.File("alexnet.safetensors"), trunk);
        using (var heads = LpipsSynthetic.Heads(LpipsBackbone.AlexNet)) SafeTensorsFile.Save(dir.File("alex_heads.safetensors"), heads);
        OneVideoFolder(dir, "48x32", 9);

        var r = CliRunner.Run("eval", dir.File("v"), "-m", model, "--fps", "10", "--size", "32", "--frames", "8",
            "--lpips-weights", dir.File("alexnet.safetensors"), "--lpips-heads", dir.File("alex_heads.safetensors"), "--lpips-net", "alex",
            "-o", dir.File("out"));

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.DoesNotContain("warning: LPIPS", r.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(dir.File("out/summary.json")));
        var metrics = summary.RootElement.GetProperty("metrics");
        Assert.False(metrics.TryGetProperty("lpips", out _));
        var lpips = metrics.GetProperty("lpips_alex").GetDouble();
        Assert.True(lpips >= 0 && double.IsFinite(lpips), $"lpips_alex = {lpips}");
        Assert.True(summary.RootElement.GetProperty("metrics_real_frames").GetProperty("lpips_alex").GetDouble() >= 0);

        var csv = File.ReadAllLines(dir.File("out/videos/a.mkv.csv"));
        Assert.Equal("frame,clip,source_frame,padded,psnr,ssim,lpips_alex", csv[0]);
        var perFrame = csv.Skip(1).Select(l => double.Parse(l.Split(',')[^1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(16, perFrame.Length);                        // 9 frames → clips of 8 and 1 + 7 padded
        Assert.All(perFrame, v => Assert.True(v >= 0));
        Assert.Equal(perFrame.Average(), lpips, 12);              // frame-weighted mean, like PSNR and SSIM
        Assert.Contains("LPIPS ALEX", r.Out);
    }

    /// <summary>
    /// FVD end to end with a random-weight I3D (the InceptionI3d module's own state_dict keys) saved by the test:
    /// one video of two 17-frame clips, each giving its first 16 frames to I3D at 224×224 (about 10 s on 2 cores).
    /// </summary>
    [Fact]
    public void Eval_WithI3d_ReportsFvd_OverTheFirst16FramesOfEachClip()
    {
        using var dir = new TempDir();
        var model = TinyModel(dir);
        TorchSharp.torch.manual_seed(3);
        using (var i3d = new InceptionI3d()) SafeTensorsFile.Save(dir.File("i3d.safetensors"), i3d.state_dict().Select(kv => (kv.Key, kv.Value)));
        OneVideoFolder(dir, "16x16", 34);

        var r = CliRunner.Run("eval", dir.File("v"), "-m", model, "--fps", "10", "--size", "16", "--sample-frames", "0",
            "--i3d-weights", dir.File("i3d.safetensors"), "-o", dir.File("out"));

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.DoesNotContain("warning: FVD", r.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(dir.File("out/summary.json")));
        var root = summary.RootElement;
        var fvd = root.GetProperty("fvd").GetDouble();
        Assert.True(double.IsFinite(fvd) && fvd >= -1e-6, $"fvd = {fvd}");
        Assert.Equal(2, root.GetProperty("fvd_clips").GetInt32());
        Assert.Equal("i3d_logits400", root.GetProperty("fvd_features").GetString());
        Assert.Equal(17, root.GetProperty("settings").GetProperty("clip_frames").GetInt32());
        Assert.Equal(16, root.GetProperty("settings").GetProperty("fvd_clip_frames").GetInt32());
        Assert.Contains("over 2 clips of 16 frames (i3d_logits400)", File.ReadAllText(dir.File("out/summary.md")));
    }

    public static TheoryData<string, string> BadWeights => new()
    {
        { "lpips-garbage", "--lpips-weights/--lpips-heads" },
        { "lpips-heads-missing", "--lpips-weights/--lpips-heads" },
        { "i3d-garbage", "--i3d-weights" },
        { "i3d-missing", "--i3d-weights" },
        { "i3d-wrong-keys", "--i3d-weights" },
    };

    /// <summary>Unreadable weights stop the run before any video is read (a dummy file stands in for one) or anything is written.</summary>
    [Theory]
    [MemberData(nameof(BadWeights))]
    public void Eval_UnreadableWeights_Exit4_BeforeAnyVideo_NoOutputs(string kind, string option)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("v"));
        File.WriteAllText(dir.File("v/a.mp4"), "not read");
        File.WriteAllBytes(dir.File("garbage.pth"), [0x80, 0x02, 0x7d, 0x71, 0x00, 0x58]);
        using (var heads = LpipsSynthetic.Heads(LpipsBackbone.AlexNet)) SafeTensorsFile.Save(dir.File("heads.safetensors"), heads);
        string[] weights = kind switch
        {
            "lpips-garbage" => ["--lpips-weights", dir.File("garbage.pth"), "--lpips-heads", dir.File("heads.safetensors"), "--lpips-net", "alex"],
            "lpips-heads-missing" => ["--lpips-weights", dir.File("heads.safetensors"), "--lpips-heads", dir.File("nope.pth"), "--lpips-net", "alex"],
            "i3d-garbage" => ["--i3d-weights", dir.File("garbage.pth")],
            "i3d-missing" => ["--i3d-weights", dir.File("nope.pt")],
            _ => ["--i3d-weights", dir.File("heads.safetensors")],
        };

        var r = CliRunner.Run(["eval", dir.File("v"), "-m", dir.File("no-model.safetensors"), .. weights, "-o", dir.File("out")]);

        Assert.True(r.ExitCode == 4, $"exit {r.ExitCode}: {r.Error}");
        Assert.Contains($"error: {option}: ", r.Error);
        Assert.False(Directory.Exists(dir.File("out")));
        Assert.DoesNotContain("evaluating", r.Error);
    }
}
