using Tessera.Checkpoints;
using Tessera.Tests.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Cli;

/// <summary>
/// The path a user of the official weights takes: a Lightning .ckpt (optimizer state, OmegaConf
/// hyper-parameters, loss.* keys) and its official-format YAML are converted, then a PNG frame directory is
/// encoded and decoded from the command line; token ids and the reconstruction equal the reference's.
/// </summary>
[DisposeScopePerTest]
public sealed class OfficialCheckpointEndToEndTests
{
    [Fact]
    public void ConvertEncodeDecode_FrameDirectory_ReproducesReference()
    {
        var golden = GoldenCase.Fixture("v1_0_fsq_ckpt");
        using var dir = new TempDir();
        var model = dir.File("model.safetensors");
        var tokens = dir.File("tokens.safetensors");
        var video = dir.File("rec.safetensors");

        var convert = CliRunner.Run("convert", Path.Combine(golden.Dir, "model.ckpt"), "--config", Path.Combine(golden.Dir, "model.yaml"), "--output", model);
        Assert.True(convert.ExitCode == 0, convert.Error);

        var encode = CliRunner.Run("encode", Path.Combine(golden.Dir, "frames"), "--model", model, "--output", tokens);
        Assert.True(encode.ExitCode == 0, encode.Error);
        using (var file = SafeTensorsFile.Load(tokens))
        using (var expected = golden.Load("indices.npy"))
            VidTokGoldenParityTests.AssertEqualIds(expected[0], file["tokens"]);

        var decode = CliRunner.Run("decode", tokens, "--output", video);
        Assert.True(decode.ExitCode == 0, decode.Error);
        using var rec = SafeTensorsFile.Load(video);
        using var forward = golden.Load("forward_output.npy");
        using var first = forward[0];
        VidTokGoldenParityTests.AssertClose(first, rec["video"], "decoded video");
    }

    [Fact]
    public void Convert_WithPreset_ReportsMismatchedKeysAndWritesNothing()
    {
        var golden = GoldenCase.Fixture("v1_0_fsq_ckpt");
        using var dir = new TempDir();
        var output = dir.File("model.safetensors");
        var result = CliRunner.Run("convert", Path.Combine(golden.Dir, "model.ckpt"), "--preset", "vidtok_fsq_causal_488_4096", "--output", output);
        Assert.Equal(4, result.ExitCode);
        Assert.Contains("model.ckpt", result.Error);
        Assert.Contains("shape mismatch", result.Error);
        Assert.Empty(dir.Entries());
    }
}
