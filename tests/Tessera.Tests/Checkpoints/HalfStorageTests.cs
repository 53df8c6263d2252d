using Tessera.Checkpoints;
using Tessera.Models;
using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using static TorchSharp.torch;

namespace Tessera.Tests.Checkpoints;

/// <summary>Model files with float16 storage (<c>convert --half</c>): half the bytes, loaded back into float32.</summary>
[DisposeScopePerTest]
public sealed class HalfStorageTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Rewrite_HalvesTheFloatTensors_KeepsTheRest_AndTheModelRunsAsBefore()
    {
        var full = dir.File("full.safetensors");
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_1, fsq: false, seed: 3))
            VidTokWeights.Save(full, m);
        var half = dir.File("half.safetensors");
        HalfStorage.Rewrite(full, half);

        var before = SafeTensorsFile.ReadHeader(full);
        var after = SafeTensorsFile.ReadHeader(half);
        Assert.Equal("float16", after.Metadata[HalfStorage.Key]);
        Assert.Equal(before.Metadata.Count + 1, after.Metadata.Count);
        Assert.Equal(before.Tensors.Select(t => (t.Name, t.DType == ScalarType.Float32 ? ScalarType.Float16 : t.DType)), after.Tensors.Select(t => (t.Name, t.DType)));
        Assert.InRange(new FileInfo(half).Length, 0.45 * new FileInfo(full).Length, 0.55 * new FileInfo(full).Length);

        using var generator = new Generator(7);
        using var video = rand(new long[] { 1, 3, 5, 16, 16 }, generator: generator) * 2 - 1;
        Tensor Reconstruct(string path)
        {
            var (config, weights) = ModelFamilies.Resolve(path);
            using var model = (VidTokModel)ModelFamilies.Load(config, weights!);
            using var noGrad = no_grad();
            using var code = model.Encode(video, 5, new TokenizerOptions());
            return model.Decode(code, new TokenizerOptions());
        }
        using var a = Reconstruct(full);
        using var b = Reconstruct(half);
        var scale = a.abs().max().item<float>();
        var diff = (a - b).abs().max().item<float>();
        Assert.True(diff > 0, "the weights were not rounded");
        Assert.True(diff < 2e-2 * scale, $"float16 storage changed the reconstruction by {diff} (scale {scale})");
    }

    [Fact]
    public void Rewrite_RefusesValuesBeyondFloat16_AndLeavesNoFile()
    {
        var path = dir.File("big.safetensors");
        using (var big = full(new long[] { 2 }, 1e6f))
            SafeTensorsFile.Save(path, [("w", big)]);
        var output = dir.File("out.safetensors");
        var e = Assert.Throws<CheckpointFormatException>(() => HalfStorage.Rewrite(path, output));
        Assert.Contains("'w' holds values beyond float16's range", e.Message);
        Assert.False(File.Exists(output));
    }
}
