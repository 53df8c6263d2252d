using Tessera.Checkpoints;
using Tessera.Evaluation;
using Tessera.Models;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Models.VidTok;
using Tessera.Tests.Video;

namespace Tessera.Tests.Cli;

/// <summary>
/// The models under models/ (beside the tool) are named by their file names wherever a model is named, and the default
/// one is what commands use without --model. Most tests use a temporary models folder of tiny models.
/// </summary>
[DisposeScopePerTest]
public sealed class BundledModelTests
{
    private const string AboutYaml = """
        description: tiny test model
        trained_on: "data/bundled.csv --split train (58 files)"
        budget: 6000 steps, batch 1, 17x64x64 at 8 fps
        heldout_psnr: 49.5
        heldout_ssim: 0.6029
        heldout_protocol: data/clips.csv --split eval, 14 clips, 64x64, 17 frames at 8 fps
        attribution: Intel sample videos (CC-BY-4.0)
        """;

    [Fact]
    public void Reconstruct_WithoutModel_UsesTheBundledModel()
    {
        using var dir = new TempDir();
        var input = dir.File("clip.mp4");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=80x64:rate=8:duration=2", "-pix_fmt", "yuv420p", input);
        var r = CliRunner.Run("reconstruct", input, "--size", "64");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains(BundledModelFolder.DefaultName, r.Out);
        Assert.Contains("16 frames", r.Out);
        Assert.Contains("PSNR", r.Out);
    }

    [Fact]
    public void TheShippedFolder_HoldsADefault_AndEveryModelIsNamedByItsFile()
    {
        var r = CliRunner.Run("info");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains($"* {BundledModelFolder.DefaultName} ", r.Out);
        Assert.Matches(@"tessera_small_fsq_causal_488_4096\s+discrete\s+8\.1 MB", r.Out);
    }

    [Fact]
    public void Default_IsTheFirstDefaultNamePresent()
    {
        using var dir = new TempDir();
        var models = Directory.CreateDirectory(dir.File("models")).FullName;
        File.WriteAllBytes(Path.Combine(models, BundledModelFolder.DefaultNames[^1] + ".safetensors"), [0]);
        using (BundledModelFolder.Use(models))
        {
            Assert.Equal(BundledModelFolder.DefaultNames[^1], BundledModelFolder.DefaultName);
            File.WriteAllBytes(Path.Combine(models, BundledModelFolder.DefaultNames[0] + ".safetensors"), [0]);
            Assert.Equal(BundledModelFolder.DefaultNames[0], BundledModelFolder.DefaultName);
        }
        Assert.NotEqual(models, Path.GetDirectoryName(BundledModelFolder.DefaultPath));
    }

    [Fact]
    public void SecondModel_ResolvesByName_ThroughEncodeInfoAndDecode_AndTheDefaultWithoutModel()
    {
        using var dir = new TempDir();
        var models = Models(dir);
        var image = Image(dir);

        var listing = CliRunner.RunWithModels(models, "info");
        Assert.True(listing.ExitCode == 0, listing.Error);
        Assert.Matches($@"\* {BundledModelFolder.DefaultNames[0]}\s+discrete\s+[\d.]+ MB\s+not recorded", listing.Out);
        Assert.Matches(@"  second_kl\s+continuous\s+[\d.]+ MB\s+not recorded", listing.Out);

        var info = CliRunner.RunWithModels(models, "info", "second_kl");
        Assert.True(info.ExitCode == 0, info.Error);
        Assert.Contains("latents      4 channels", info.Out);

        var latents = dir.File("latents.safetensors");
        var e = CliRunner.RunWithModels(models, "encode", image, "-m", "second_kl", "-o", latents);
        Assert.True(e.ExitCode == 0, e.Error);
        Assert.Contains("encoded with second_kl (sha256", CliRunner.RunWithModels(models, "info", latents).Out);

        var tokens = dir.File("tokens.safetensors");
        e = CliRunner.RunWithModels(models, "encode", image, "-o", tokens);
        Assert.True(e.ExitCode == 0, e.Error);
        Assert.Contains($"encoded with {BundledModelFolder.DefaultNames[0]} (sha256", CliRunner.RunWithModels(models, "info", tokens).Out);

        // The token files name their models; decode finds them in the bundled folder.
        foreach (var code in new[] { latents, tokens })
        {
            var d = CliRunner.RunWithModels(models, "decode", code, "-o", dir.File("decoded.safetensors"));
            Assert.True(d.ExitCode == 0, d.Error);
        }
        // The shipped folder has no second_kl: the name means nothing there.
        var unknown = CliRunner.Run("info", "second_kl");
        Assert.Equal(4, unknown.ExitCode);
        Assert.Contains($"not a file, a bundled model or a preset (bundled: {string.Join(", ", BundledModelFolder.All().Select(m => m.Name))}; closest presets:", unknown.Error);
    }

    [Fact]
    public void ShortName_IsAWordOfOneBundledName_SeveralAreAnErrorListingThem()
    {
        using var dir = new TempDir();
        var models = Models(dir);

        var info = CliRunner.RunWithModels(models, "info", "KL");
        Assert.True(info.ExitCode == 0, info.Error);
        Assert.Contains("latents      4 channels", info.Out);
        var tokens = dir.File("tokens.safetensors");
        var e = CliRunner.RunWithModels(models, "encode", Image(dir), "-m", "kl", "-o", tokens);
        Assert.True(e.ExitCode == 0, e.Error);
        Assert.Contains("encoded with second_kl (sha256", CliRunner.RunWithModels(models, "info", tokens).Out);

        File.Copy(Path.Combine(models, "second_kl.safetensors"), Path.Combine(models, "third_kl.safetensors"));
        var ambiguous = CliRunner.RunWithModels(models, "info", "kl");
        Assert.Equal(4, ambiguous.ExitCode);
        Assert.Contains("model 'kl' could be any of the bundled models second_kl, third_kl; name one in full", ambiguous.Error);
        // A word of no bundled name, and part of a word, stay unknown names.
        Assert.Equal(4, CliRunner.RunWithModels(models, "info", "k").ExitCode);
        Assert.Equal(4, CliRunner.RunWithModels(models, "info", "nothing").ExitCode);
    }

    [Fact]
    public void MissingDefault_IsAClearError()
    {
        using var dir = new TempDir();
        var models = Directory.CreateDirectory(dir.File("models")).FullName;
        var r = CliRunner.RunWithModels(models, "encode", Image(dir), "-o", dir.File("tokens.safetensors"));
        Assert.Equal(4, r.ExitCode);
        Assert.Contains($"no --model given and the bundled default model is missing ({Path.Combine(models, BundledModelFolder.DefaultNames[0])}.safetensors)", r.Error);
        Assert.Contains("no bundled models in", CliRunner.RunWithModels(models, "info").Out);
    }

    [Fact]
    public void Annotate_RecordsHowTheModelWasTrained_InfoAndCheckReadIt_WeightsUnchanged()
    {
        using var dir = new TempDir();
        var models = Models(dir);
        var about = dir.File("about.yaml");
        File.WriteAllText(about, AboutYaml);
        var file = Path.Combine(models, "second_kl.safetensors");
        var before = SafeTensorsFile.ReadHeader(file);
        var r = CliRunner.RunWithModels(models, "annotate", "second_kl", "--about", about);
        Assert.True(r.ExitCode == 0, r.Error);

        var after = SafeTensorsFile.ReadHeader(file);
        Assert.Equal(before.Metadata[ModelFamilies.ConfigKey], after.Metadata[ModelFamilies.ConfigKey]);
        Assert.Equal("49.5", after.Metadata["heldout_psnr"]);
        using (var a = SafeTensorsFile.Load(file))
        using (var model = TinyModels.Model(VidTokFamily.CausalV1_1, fsq: false, seed: 2))
            foreach (var (name, t) in model.state_dict())
                Assert.True(t.equal(a[name]).all().item<bool>(), name);

        var info = CliRunner.RunWithModels(models, "info", "second_kl");
        Assert.Contains("trained_on       data/bundled.csv --split train (58 files)", info.Out);
        Assert.Contains("heldout_protocol data/clips.csv --split eval, 14 clips, 64x64, 17 frames at 8 fps", info.Out);
        Assert.Contains("attribution      Intel sample videos (CC-BY-4.0)", info.Out);
        Assert.Matches(@"second_kl\s+continuous\s+[\d.]+ MB\s+PSNR 49\.5 dB, SSIM 0\.6029 \(data/clips\.csv", CliRunner.RunWithModels(models, "info").Out);

        var check = CliRunner.RunWithModels(models, "check", "second_kl", "--size", "32");
        Assert.True(check.ExitCode == 0, check.Error);
        Assert.Contains("expected     49.50 dB published (second_kl.safetensors metadata: data/clips.csv --split eval", check.Out);
        // Random weights: far below what the record promises.
        Assert.Contains("below the published 49.50 dB", check.Error);

        // Annotating again replaces the record as a whole.
        File.WriteAllText(about, "description: retrained\n");
        Assert.Equal(0, CliRunner.RunWithModels(models, "annotate", file, "--about", about).ExitCode);
        var again = SafeTensorsFile.ReadHeader(file).Metadata;
        Assert.Equal("retrained", again["description"]);
        Assert.False(again.ContainsKey("heldout_psnr"));
        Assert.Contains("no held-out PSNR recorded in second_kl.safetensors's metadata", CliRunner.RunWithModels(models, "check", "second_kl", "--size", "32").Out);
    }

    [Fact]
    public void Convert_WithAbout_WritesTheRecord_AMalformedOneWritesNothing()
    {
        using var dir = new TempDir();
        var golden = GoldenCase.Fixture("v1_0_fsq_ckpt");
        var about = dir.File("about.json");
        File.WriteAllText(about, """{ "trained_on": "golden fixture", "heldout_psnr": 30.5, "heldout_protocol": "none, a test" }""");
        var output = dir.File("model.safetensors");
        var r = CliRunner.Run("convert", Path.Combine(golden.Dir, "model.ckpt"), "--config", Path.Combine(golden.Dir, "model.yaml"), "--about", about, "-o", output);
        Assert.True(r.ExitCode == 0, r.Error);
        var meta = SafeTensorsFile.ReadHeader(output).Metadata;
        Assert.Equal("golden fixture", meta["trained_on"]);
        Assert.Equal("30.5", meta["heldout_psnr"]);
        Assert.Equal("model.ckpt", meta["converted_from"]);
        Assert.Contains("trained_on       golden fixture", CliRunner.Run("info", output).Out);
        Assert.Empty(Directory.GetFiles(dir.Path, ".*"));

        var bad = new Dictionary<string, string>
        {
            ["unknown.yaml"] = "trained_on: x\nsteps: 5\n",
            ["nonumber.yaml"] = "heldout_psnr: high\nheldout_protocol: x\n",
            ["noprotocol.json"] = """{ "heldout_psnr": 20 }""",
            ["list.yaml"] = "trained_on: [a, b]\n",
            ["broken.json"] = "{ \"trained_on\": ",
            ["about.txt"] = "trained_on: x\n",
        };
        foreach (var (name, text) in bad)
        {
            var file = dir.File(name);
            File.WriteAllText(file, text);
            var target = dir.File("bad.safetensors");
            r = CliRunner.Run("convert", Path.Combine(golden.Dir, "model.ckpt"), "--config", Path.Combine(golden.Dir, "model.yaml"), "--about", file, "-o", target);
            Assert.True(r.ExitCode == 4, $"{name}: {r.ExitCode} {r.Error}");
            Assert.Contains(name, r.Error);
            Assert.False(File.Exists(target), name);
            var bytes = File.ReadAllBytes(output);
            Assert.Equal(4, CliRunner.Run("annotate", output, "--about", file).ExitCode);
            Assert.Equal(bytes, File.ReadAllBytes(output));
        }
        Assert.Empty(Directory.GetFiles(dir.Path, ".*"));
    }

    [Fact]
    public void Annotate_RefusesATokenFile()
    {
        using var dir = new TempDir();
        var models = Models(dir);
        var tokens = dir.File("tokens.safetensors");
        Assert.Equal(0, CliRunner.RunWithModels(models, "encode", Image(dir), "-o", tokens).ExitCode);
        var about = dir.File("about.yaml");
        File.WriteAllText(about, AboutYaml);
        var bytes = File.ReadAllBytes(tokens);
        var r = CliRunner.Run("annotate", tokens, "--about", about);
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("is not a Tessera model file", r.Error);
        Assert.Equal(bytes, File.ReadAllBytes(tokens));
    }

    // A models folder with a tiny FSQ model under the default's name and a tiny KL model named second_kl.
    private static string Models(TempDir dir)
    {
        var models = Directory.CreateDirectory(dir.File("models")).FullName;
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_1, fsq: true, seed: 1))
            VidTokWeights.Save(Path.Combine(models, BundledModelFolder.DefaultNames[0] + ".safetensors"), m);
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_1, fsq: false, seed: 2))
            VidTokWeights.Save(Path.Combine(models, "second_kl.safetensors"), m);
        return models;
    }

    private static string Image(TempDir dir)
    {
        var image = dir.File("frame.png");
        File.WriteAllBytes(image, Png.Encode(Enumerable.Range(0, 16 * 16 * 3).Select(i => (byte)(i * 13)).ToArray(), 16, 16));
        return image;
    }
}
