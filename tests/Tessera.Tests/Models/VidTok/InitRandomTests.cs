using Tessera.Models.VidTok;
using Tessera.Nn;
using Tessera.Tests.Inference;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.VidTok;

/// <summary>Initial weights depend only on the seed, not on what other threads draw from libtorch's global generator meanwhile.</summary>
[DisposeScopePerTest]
public sealed class InitRandomTests
{
    [Fact]
    public void ModelWeights_DependOnlyOnTheGenerator_WhileOtherThreadsDrawFromTheGlobalOne()
    {
        using var first = TinyModels.Model(VidTokFamily.CausalV1_1, seed: 7);
        var stop = false;
        var noise = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
                using (var r = rand(1000)) { }
        });
        noise.Start();
        try
        {
            using var second = TinyModels.Model(VidTokFamily.CausalV1_1, seed: 7);
            var a = first.state_dict();
            var b = second.state_dict();
            foreach (var (name, t) in a)
                Assert.True(t.equal(b[name]).all().item<bool>(), $"{name} differs between two models built from seed 7");
            using var other = TinyModels.Model(VidTokFamily.CausalV1_1, seed: 8);
            Assert.False(other.state_dict()["encoder.conv_in.conv.weight"].equal(a["encoder.conv_in.conv.weight"]).all().item<bool>());
        }
        finally
        {
            Volatile.Write(ref stop, true);
            noise.Join();
        }
    }

    [Fact]
    public void Use_IsScopedToTheThreadAndRestoresThePreviousGenerator()
    {
        Assert.Null(InitRandom.Current);
        using var g1 = new Generator(1);
        using var g2 = new Generator(2);
        using (InitRandom.Use(g1))
        {
            using (InitRandom.Use(g2)) Assert.Same(g2, InitRandom.Current);
            Assert.Same(g1, InitRandom.Current);
            Generator? onOtherThread = g1;
            var thread = new Thread(() => onOtherThread = InitRandom.Current);
            thread.Start();
            thread.Join();
            Assert.Null(onOtherThread);
        }
        Assert.Null(InitRandom.Current);
    }
}
