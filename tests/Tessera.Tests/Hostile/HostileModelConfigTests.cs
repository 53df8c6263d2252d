using Tessera.Inference;
using Tessera.Tests.Inference;
using Tessera.Models.VidTok;
using Tessera.Quantizers;

namespace Tessera.Tests.Hostile;

/// <summary>Model configs (from YAML or a model file's metadata) that would build gigabytes: refused before any tensor exists.</summary>
[DisposeScopePerTest]
public sealed class HostileModelConfigTests
{
    private static VidTokConfig Tiny => TinyModels.Config(VidTokFamily.CausalV1_0);

    public static TheoryData<string, string> Hostile => new()
    {
        { "ch 2048", "ch" },
        { "num_res_blocks 1e8", "num_res_blocks" },
        { "40-level ch_mult", "ch_mult" },
        { "fsq product overflows long", "codebook" },
        { "fsq product beyond int32", "codebook" },
        { "wide and deep", "parameters" },
    };

    private static VidTokConfig Make(string label) => label switch
    {
        "ch 2048" => Tiny with { Ch = 2048 },
        "num_res_blocks 1e8" => Tiny with { NumResBlocks = 100_000_000 },
        "40-level ch_mult" => Tiny with { ChMult = Enumerable.Repeat(1, 40).ToArray() },
        "fsq product overflows long" => Tiny with { Regularizer = new FsqBottleneck([65536, 65536, 65536, 65536]) },
        "fsq product beyond int32" => Tiny with { Regularizer = new FsqBottleneck([65536, 65536]) },
        "wide and deep" => Tiny with { Ch = 1024, ChMult = [1, 2, 4, 8], NumResBlocks = 4 },
        _ => throw new ArgumentException(label),
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void IsRefusedByValidate(string label, string key)
    {
        var e = Assert.Throws<ConfigException>(() => Make(label).Validate());
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void EveryPreset_IsWithinTheBounds()
    {
        foreach (var name in VidTokPresets.Names) VidTokPresets.Get(name).Validate();
    }

    [Fact]
    public void FsqWhoseProductWraps_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new Fsq([65536, 65536, 65536, 65536]));
    }
}
