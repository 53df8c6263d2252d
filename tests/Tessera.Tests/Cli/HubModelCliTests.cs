using Tessera.Checkpoints.Hub;
using Tessera.Tests.Checkpoints.Hub;
using Tessera.Tests.Models.VidTok;

namespace Tessera.Tests.Cli;

/// <summary>
/// Models by name through the command line against <see cref="LoopbackHub"/>: a tiny VidTok checkpoint in the official
/// Lightning layout is downloaded, verified, converted once into the cache and reconstructs exactly as the local file does;
/// the second run makes no request. An official preset name maps to microsoft/VidTok's checkpoints/ folder.
/// </summary>
[DisposeScopePerTest]
public sealed class HubModelCliTests
{
    private static HubSettings Settings(LoopbackHub hub, TempDir dir, bool offline = false) =>
        new() { Endpoint = hub.Endpoint, CacheDir = dir.File("hub"), Offline = offline };

    private static string Psnr(CliResult r) => r.Out.Split('\n').Single(l => l.StartsWith("PSNR", StringComparison.Ordinal));

    [Fact]
    public void HubWeights_DownloadVerifyConvertOnce_ThenReconstructFromTheCacheWithoutARequest()
    {
        var golden = GoldenCase.Fixture("v1_0_fsq_ckpt");
        var ckpt = Path.Combine(golden.Dir, "model.ckpt");
        var yaml = Path.Combine(golden.Dir, "model.yaml");
        var frames = Path.Combine(golden.Dir, "frames");
        using var hub = new LoopbackHub();
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(ckpt);
        hub.Add("owner/tiny", "checkpoints/model.ckpt", bytes);
        string[] args = ["reconstruct", frames, "--frames", "9", "--model", yaml, "--weights", "hf:owner/tiny/checkpoints/model.ckpt"];

        var first = CliRunner.RunWithHub(Settings(hub, dir), args);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Contains("downloading hf:owner/tiny/checkpoints/model.ckpt", first.Error);
        Assert.Contains("converting hf:owner/tiny/checkpoints/model.ckpt once", first.Error);
        var converted = Directory.GetFiles(dir.File($"hub/models--owner--tiny/tessera/{LoopbackHub.Sha256(bytes)}"));
        Assert.Single(converted);
        Assert.Matches(@"\.c\d+\.[0-9a-f]{12}\.safetensors$", converted[0]);
        var requests = hub.Requests.Count;
        Assert.Equal(1, hub.Count("GET", "/cdn/"));

        var second = CliRunner.RunWithHub(Settings(hub, dir), args);
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Equal(requests, hub.Requests.Count);
        Assert.DoesNotContain("converting", second.Error);
        Assert.Equal(Psnr(first), Psnr(second));

        var local = CliRunner.Run("reconstruct", frames, "--frames", "9", "--model", yaml, "--weights", ckpt);
        Assert.True(local.ExitCode == 0, local.Error);
        Assert.Equal(Psnr(local), Psnr(first));
    }

    [Fact]
    public void OfficialPreset_IsFetchedFromMicrosoftVidTok_AndWrongWeightsLeaveNoConvertedFile()
    {
        var golden = GoldenCase.Fixture("v1_0_fsq_ckpt");
        using var hub = new LoopbackHub();
        using var dir = new TempDir();
        const string preset = "vidtok_fsq_causal_488_4096";
        // The tiny checkpoint under the preset's name: downloaded and verified, but its tensors do not fit the preset.
        hub.Add("microsoft/VidTok", $"checkpoints/{preset}.ckpt", File.ReadAllBytes(Path.Combine(golden.Dir, "model.ckpt")));
        var r = CliRunner.RunWithHub(Settings(hub, dir), "encode", Path.Combine(golden.Dir, "frames"), "--model", preset, "--output", dir.File("t.safetensors"));
        Assert.Equal(4, r.ExitCode);
        Assert.Contains($"/microsoft/VidTok/resolve/main/checkpoints/{preset}.ckpt", hub.Requests.Select(q => q.Path));
        Assert.Contains("shape mismatch", r.Error);
        Assert.True(File.Exists(dir.File($"hub/models--microsoft--VidTok/snapshots/{LoopbackHub.Commit}/checkpoints/{preset}.ckpt")));
        Assert.Empty(Directory.EnumerateFiles(dir.File("hub/models--microsoft--VidTok"), "*.safetensors", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(dir.File("hub/models--microsoft--VidTok"), "*.tmp", SearchOption.AllDirectories));
        Assert.False(File.Exists(dir.File("t.safetensors")));
    }

    [Fact]
    public void OfficialPreset_Offline_NamesTheFileItsUrlAndHowToPlaceIt()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("reconstruct", Path.Combine(TestPaths.RepoRoot!, "data", "samples", "testsrc2.mp4"), "--model", "vidtok_fsq_causal_488_32768_v1_1");
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("hf:microsoft/VidTok/checkpoints/vidtok_v1_1/vidtok_fsq_causal_488_32768_v1_1.ckpt is not in the Hugging Face cache", r.Error);
        Assert.Contains("https://huggingface.co/microsoft/VidTok/resolve/main/checkpoints/vidtok_v1_1/vidtok_fsq_causal_488_32768_v1_1.ckpt", r.Error);
        Assert.Contains("--weights", r.Error);
    }

    [Fact]
    public void Finetune_FromAnOfficialPreset_TakesItFromTheHub()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("finetune", "--from", "vidtok_kl_causal_488_4chn", "--data", dir.Path, "-o", dir.File("run"));
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("hf:microsoft/VidTok/checkpoints/vidtok_kl_causal_488_4chn.ckpt is not in the Hugging Face cache", r.Error);
        Assert.False(Directory.Exists(dir.File("run")));
    }
}
