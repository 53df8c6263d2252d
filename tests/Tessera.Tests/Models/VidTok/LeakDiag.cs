using Tessera.Models.VidTok;
using Tessera.Nn;
using Tessera.Tests.Inference;
using static TorchSharp.torch;
using Xunit.Abstractions;

namespace Tessera.Tests.Models.VidTok;

public sealed class LeakDiag(ITestOutputHelper o)
{
    [Fact]
    public void Diag()
    {
        var config = TinyModels.Config(VidTokFamily.NonCausal);
        var layers = new VidTokLayers(config);
        using var grad = no_grad();
        using var x = rand([1, 16, 5, 8, 8]);
        var cases = new (string, Func<Tensor, CausalCache, Tensor>)[]
        {
            ("spatial", layers.SpatialBlock(16, 16).forward),
            ("temporal", layers.TemporalBlock(16).forward),
            ("volume", layers.VolumeBlock(16).forward),
            ("attn", layers.Attention(16).forward),
            ("mid", new MidBlock(layers, 16).forward),
            ("tdown", layers.TimeDownsample(16).forward),
            ("down", new Downsample(16).forward),
        };
        foreach (var (name, f) in cases)
        {
            using var cache = CausalCache.None();
            cache.IsFirstChunk = true;
            using var scope = NewDisposeScope();
            var y = f(x, cache);
            o.WriteLine($"{name}: {scope.DisposablesCount - 1}");
        }
        var norm = layers.NormOut(16);
        using (var scope = NewDisposeScope()) { var y = norm.forward(x); o.WriteLine($"norm: {scope.DisposablesCount - 1}"); }
        using var enc = new Encoder(config);
        using (var scope = NewDisposeScope()) { using var c = CausalCache.None(); var y = enc.forward(rand([1, 3, 8, 32, 32]), c); o.WriteLine($"encoder: {scope.DisposablesCount - 2}"); }
    }
}
