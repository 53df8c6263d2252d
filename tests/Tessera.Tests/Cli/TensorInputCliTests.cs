using Tessera.Checkpoints;
using Tessera.Cli;
using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Cli;

/// <summary>
/// <c>encode</c> of a .npy tensor (float32 [3,T,H,W] or [B,3,T,H,W] in the model's range) for a VidTok model: the
/// same ids as the library on that tensor, a batch kept in the token file and decoded back as a batch; broken
/// tensor files fail with the file named and exit code 3.
/// </summary>
[DisposeScopePerTest]
public sealed class TensorInputCliTests
{
    private static Tensor Clip(int batch, int seed) =>
        rand(new long[] { batch, 3, 5, 16, 16 }, generator: new Generator((ulong)seed)) * 2 - 1;

    [Fact]
    public void Encode_NpyForVidTok_MatchesTheLibraryAndKeepsTheBatch()
    {
        using var dir = new TempDir();
        var model = dir.File("tiny.safetensors");
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_0)) VidTokWeights.Save(model, m);
        using var x = Clip(2, 7);
        var npy = dir.File("clips.npy");
        Npy.Save(npy, x);

        var tokens = dir.File("tokens.safetensors");
        var encode = CliRunner.Run("encode", npy, "-m", model, "-o", tokens);
        Assert.True(encode.ExitCode == 0, encode.Error);

        using var tokenizer = VideoTokenizer.Load(model);
        using var expected = (TokenIds)tokenizer.Encode(x);
        using (var file = SafeTensorsFile.Load(tokens))
        {
            Assert.Equal("2", file.Metadata["batch"]);
            Assert.Equal(expected.Ids.shape, file["tokens"].shape);
            Assert.True(expected.Ids.eq(file["tokens"]).all().item<bool>(), "the CLI's ids differ from the library's on the same tensor");
        }

        // One clip ([3, T, H, W]) is stored without the batch axis.
        var single = dir.File("one.npy");
        using (var first = x[0].contiguous()) Npy.Save(single, first);
        var oneTokens = dir.File("one.safetensors");
        Assert.Equal(0, CliRunner.Run("encode", single, "-m", model, "-o", oneTokens).ExitCode);
        using (var file = SafeTensorsFile.Load(oneTokens))
        {
            Assert.False(file.Metadata.ContainsKey("batch"));
            Assert.True(expected.Ids[0].eq(file["tokens"]).all().item<bool>());
        }

        var video = dir.File("video.safetensors");
        var decode = CliRunner.Run("decode", tokens, "--output", video);
        Assert.True(decode.ExitCode == 0, decode.Error);
        using var decoded = SafeTensorsFile.Load(video);
        using var reference = tokenizer.Decode(expected);
        Assert.Equal(reference.shape, decoded["video"].shape);
        Assert.True(reference.allclose(decoded["video"], 1e-5, 1e-6));
        Assert.Contains("[-1, 1]", decoded.Metadata["layout"]);

        var mp4 = CliRunner.Run("decode", tokens, "--output", dir.File("video.mkv"));
        Assert.Equal((int)ExitCode.InvalidInput, mp4.ExitCode);
        Assert.Contains("batch of 2", mp4.Error);
    }

    [Fact]
    public void Encode_MalformedNpy_NamesTheFileWithExitCode3()
    {
        using var dir = new TempDir();
        var model = dir.File("tiny.safetensors");
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_0)) VidTokWeights.Save(model, m);

        var garbage = dir.File("garbage.npy");
        File.WriteAllBytes(garbage, "\x93NUMPY\x01\x00\xff\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, "u8.ToArray());
        var wrongShape = dir.File("shape.npy");
        using (var t = zeros(2, 5, 16, 16)) Npy.Save(wrongShape, t);
        var wrongType = dir.File("int.npy");
        using (var t = zeros(new long[] { 3, 5, 16, 16 }, ScalarType.Int64)) Npy.Save(wrongType, t);
        var nan = dir.File("nan.npy");
        using (var t = full(new long[] { 3, 5, 16, 16 }, float.NaN)) Npy.Save(nan, t);

        foreach (var (file, expected) in new[] { (garbage, "not a readable .npy"), (wrongShape, "[3, T, H, W]"), (wrongType, "float32"), (nan, "NaN") })
        {
            var output = dir.File("tokens.safetensors");
            var result = CliRunner.Run("encode", file, "-m", model, "-o", output);
            Assert.Equal((int)ExitCode.InvalidInput, result.ExitCode);
            Assert.Contains(file, result.Error);
            Assert.Contains(expected, result.Error);
            Assert.False(File.Exists(output));
        }
    }
}
