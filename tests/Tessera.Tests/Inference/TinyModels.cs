using Tessera.Models.VidTok;

namespace Tessera.Tests.Inference;

/// <summary>Tiny random-weight configs of each family, small enough for many unit tests on 2 cores.</summary>
internal static class TinyModels
{
    public static VidTokConfig Config(VidTokFamily family, bool fsq = true) => new()
    {
        Name = $"tiny_{family}_{(fsq ? "fsq" : "kl")}",
        Family = family,
        Ch = 8,
        ChMult = [1, 2, 2, 2],
        NumResBlocks = 1,
        InterpolationMode = family == VidTokFamily.CausalV1_1 ? TemporalInterpolation.Trilinear : TemporalInterpolation.Nearest,
        Regularizer = fsq ? new FsqBottleneck([8, 8, 8, 8]) : new KlBottleneck(4),
    };

    /// <summary>A tiny model whose weights depend only on <paramref name="seed"/> (its own generator, not the global one).</summary>
    public static VidTokModel Model(VidTokFamily family, bool fsq = true, int seed = 0)
    {
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        using var _ = Tessera.Nn.InitRandom.Use(generator);
        return new VidTokModel(Config(family, fsq));
    }
}
