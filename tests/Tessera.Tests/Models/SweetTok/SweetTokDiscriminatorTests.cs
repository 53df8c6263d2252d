using Tessera.Models.SweetTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>The stage-2 discriminator has the reference's layout (keys, shapes, strides) and hands out every stage's output.</summary>
[DisposeScopePerTest]
public sealed class SweetTokDiscriminatorTests
{
    [Fact]
    public void KeysAndShapes_AreTheReferences()
    {
        using var generator = new Generator(1);
        using var d = new SweetTokDiscriminator(64, 3, generator);
        var shapes = d.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal(new long[] { 64, 3, 4, 4, 4 }, shapes["model0.0.weight"]);
        Assert.Equal(new long[] { 128, 64, 4, 4, 4 }, shapes["model1.1.weight"]);
        Assert.Equal(new long[] { 128 }, shapes["model1.2.running_var"]);
        Assert.Equal(new long[] { 256, 128, 4, 4, 4 }, shapes["model2.1.weight"]);
        Assert.Equal(new long[] { 512, 256, 4, 4, 4 }, shapes["model3.0.weight"]);
        Assert.Equal(new long[] { 512 }, shapes["model3.1.weight"]);
        Assert.Equal(new long[] { 1, 512, 4, 4, 4 }, shapes["model4.0.weight"]);
        Assert.Equal(new long[] { 1 }, shapes["model4.1.bias"]);
        // Every conv has a bias (the reference's nn.Conv3d default); four norms with their running statistics; nothing else.
        foreach (var conv in new[] { "model0.0", "model1.1", "model2.1", "model3.0", "model4.0" })
            Assert.Contains(conv + ".bias", shapes.Keys);
        Assert.Equal(5 * 2 + 4 * 5, shapes.Count);
        Assert.Equal(4, shapes.Keys.Count(k => k.EndsWith("num_batches_tracked", StringComparison.Ordinal)));
    }

    [Fact]
    public void Features_AreEveryStage_StridedAsTheReference()
    {
        using var generator = new Generator(2);
        using var d = new SweetTokDiscriminator(8, 3, generator);
        using var scope = NewDisposeScope();
        var x = randn([2, 3, 17, 64, 48], generator: generator);
        var features = d.Features(x);
        // k4 p2: stride 2 gives n/2 + 1, stride 1 gives n + 1.
        Assert.Equal(new long[] { 2, 8, 9, 33, 25 }, features[0].shape);
        Assert.Equal(new long[] { 2, 16, 5, 17, 13 }, features[1].shape);
        Assert.Equal(new long[] { 2, 32, 3, 9, 7 }, features[2].shape);
        Assert.Equal(new long[] { 2, 64, 4, 10, 8 }, features[3].shape);
        Assert.Equal(new long[] { 2, 1, 5, 11, 9 }, features[4].shape);
        Assert.True(d.forward(x).allclose(features[4]));
        // The logits are normalised and activated (BatchNorm + LeakyReLU 0.2): in train mode their batch mean is about 0
        // before the activation, so some are negative and scaled by 0.2.
        Assert.True(features[4].min().item<float>() < 0);
    }
}
