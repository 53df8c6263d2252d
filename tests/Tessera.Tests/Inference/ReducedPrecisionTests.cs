using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

[DisposeScopePerTest]
public sealed class ReducedPrecisionTests
{
    // bfloat16 keeps 8 significant bits (relative rounding 2^-9 per value); through a few dozen layers of a tiny random
    // model the errors add up to a few percent of the signal, far from the 100% a wrong dtype path or an unconverted
    // weight gives, and float32 reruns of the same path agree exactly.
    private static double RelativeL2(Tensor a, Tensor b) => ((a - b).norm() / b.norm()).item<float>();

    [Theory]
    [InlineData(9, 0)]     // whole clip
    [InlineData(21, 4)]    // chunked, causal caches in bfloat16
    public void BFloat16_LatentsAndFrames_FollowFloat32(int frames, int chunk)
    {
        using var fp32 = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1, fsq: false, seed: 4), new TokenizerOptions { TemporalChunk = chunk });
        using var bf16 = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1, fsq: false, seed: 4), new TokenizerOptions { TemporalChunk = chunk, Precision = ComputePrecision.BFloat16 });
        using var scope = NewDisposeScope();
        var x = EncodeSessionTests.Video(frames, size: 32);
        using var a = (Latents)fp32.Encode(x);
        using var b = (Latents)bf16.Encode(x);
        Assert.Equal(ScalarType.Float32, b.Values.dtype);
        var latentError = RelativeL2(b.Values, a.Values);
        Assert.True(latentError < 0.05, $"bfloat16 latents differ from float32 by {latentError:P2} (relative L2)");
        var ya = fp32.Decode(a);
        var yb = bf16.Decode(a);
        Assert.Equal(ScalarType.Float32, yb.dtype);
        var frameError = RelativeL2(yb, ya);
        Assert.True(frameError < 0.05, $"bfloat16 frames differ from float32 by {frameError:P2} (relative L2)");
        Assert.True(latentError > 0 || frameError > 0, "the bfloat16 path computed in float32");
    }

    [Fact]
    public void BFloat16_FsqIds_MostlyAgreeWithFloat32()
    {
        using var fp32 = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1, seed: 2));
        using var bf16 = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1, seed: 2), new TokenizerOptions { Precision = ComputePrecision.BFloat16 });
        using var scope = NewDisposeScope();
        var x = EncodeSessionTests.Video(9, size: 32);
        using var a = (TokenIds)fp32.Encode(x);
        using var b = (TokenIds)bf16.Encode(x);
        // An id changes only where one of its four FSQ values lies within bfloat16's error of a rounding boundary.
        var agreement = a.Ids.eq(b.Ids).to_type(ScalarType.Float32).mean().item<float>();
        Assert.True(agreement > 0.8, $"only {agreement:P1} of the ids agree");
    }

    private sealed class Broken : ICausalAutoencoder
    {
        public int TemporalFactor => 4;
        public int EncodeSteps => 1;
        public int DecodeSteps => 1;
        public Tensor EncodeRaw(Tensor video, CausalCache cache) => full(new long[] { 1, 4, 1, 2, 2 }, float.NaN, video.dtype);
        public Tensor DecodeRaw(Tensor latent, CausalCache cache) => full(new long[] { 1, 3, 1, 16, 16 }, float.PositiveInfinity, latent.dtype);
        public int DecodeLookAhead => 0;
        public void PrepareOverlapDecode(CausalCache cache) { }
    }

    [Fact]
    public void NonFiniteValues_StopThePassWithAMessage()
    {
        var net = new ReducedPrecision(new Broken());
        using var cache = CausalCache.None();
        using var x = zeros(new long[] { 1, 3, 1, 16, 16 });
        var e = Assert.Throws<NumericalException>(() => net.EncodeRaw(x, cache));
        Assert.Contains("encoder produced NaN or infinite values in bfloat16", e.Message);
        using var z = zeros(new long[] { 1, 4, 1, 2, 2 });
        e = Assert.Throws<NumericalException>(() => net.DecodeRaw(z, cache));
        Assert.Contains("decoder", e.Message);
        Assert.Contains("float32", e.Message);
    }

    [Fact]
    public void Auto_FollowsTheCpusBFloat16Instructions()
    {
        var expected = CpuInfo.HasNativeBf16 == true ? ComputePrecision.BFloat16 : ComputePrecision.Float32;
        Assert.Equal(expected, VideoTokenizer.Resolve(ComputePrecision.Auto));
        Assert.Equal(ComputePrecision.Float32, VideoTokenizer.Resolve(ComputePrecision.Float32));
        Assert.Equal(ComputePrecision.BFloat16, VideoTokenizer.Resolve(ComputePrecision.BFloat16));
    }
}
