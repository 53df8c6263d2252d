using Tessera.Inference;
using Tessera.Models.VidTok;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

[DisposeScopePerTest]
public sealed class VideoTokenizerTests
{
    private static Tensor Video(int frames, int size = 16, int seed = 1)
    {
        var g = new Generator((ulong)seed);
        return rand(new long[] { 1, 3, frames, size, size }, generator: g) * 2 - 1;
    }

    [Theory]
    [InlineData(VidTokFamily.CausalV1_0, 1)]
    [InlineData(VidTokFamily.CausalV1_0, 6)]
    [InlineData(VidTokFamily.CausalV1_0, 9)]
    [InlineData(VidTokFamily.CausalV1_1, 1)]
    [InlineData(VidTokFamily.CausalV1_1, 7)]
    [InlineData(VidTokFamily.CausalV1_1, 22)]
    [InlineData(VidTokFamily.NonCausal, 3)]
    [InlineData(VidTokFamily.NonCausal, 8)]
    public void Decode_ReturnsExactlyTheEncodedFrames(object familyValue, int frames)
    {
        // xunit theory parameters must be public types; VidTokFamily is internal to the library.
        var family = (VidTokFamily)familyValue;
        using var tokenizer = new VideoTokenizer(TinyModels.Model(family), new TokenizerOptions { TemporalChunk = 8 });
        using var scope = NewDisposeScope();
        var x = Video(frames);
        using var code = tokenizer.Encode(x);
        Assert.Equal(frames, code.Frames);
        var y = tokenizer.Decode(code);
        Assert.Equal(x.shape, y.shape);
        Assert.True(y.isfinite().all().item<bool>()); // unclamped, like the reference's decode
    }

    [Theory]
    [InlineData(VidTokFamily.CausalV1_0, 6, "1 + 4k")]
    [InlineData(VidTokFamily.NonCausal, 6, "multiple of 4")]
    public void RefusePolicy_NamesTheCountsTheModelTakes(object familyValue, int frames, string expected)
    {
        // xunit theory parameters must be public types; VidTokFamily is internal to the library.
        var family = (VidTokFamily)familyValue;
        using var tokenizer = new VideoTokenizer(TinyModels.Model(family), new TokenizerOptions { Frames = FramePolicy.Refuse });
        using var x = Video(frames);
        var e = Assert.Throws<InvalidInputException>(() => tokenizer.Encode(x));
        Assert.Contains(expected, e.Message);
        Assert.Contains(frames.ToString(), e.Message);
    }

    [Fact]
    public void PadPolicy_V10_EqualsEncodingThePaddedClip()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_0));
        using var scope = NewDisposeScope();
        var x = Video(7);
        var padded = cat([x, x[.., .., 6..7], x[.., .., 6..7]], 2);
        using var a = (TokenIds)tokenizer.Encode(x);
        using var b = (TokenIds)tokenizer.Encode(padded);
        Assert.True(a.Ids.eq(b.Ids).all().item<bool>());
        Assert.Equal(7, a.Frames);
        Assert.Equal(9, b.Frames);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(17)]
    public void Chunked_V11_EncodesLikeTheWholeClip(int frames)
    {
        using var model = TinyModels.Model(VidTokFamily.CausalV1_1, fsq: false);
        using var chunked = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = 4 });
        using var scope = NewDisposeScope();
        var x = Video(frames);
        Assert.True(chunked.UsesChunking(frames));
        using var a = (Latents)chunked.Encode(x);
        var whole = model.EncodeRaw(x, Tessera.Nn.CausalCache.None());
        var mean = model.Gaussian!.Split(whole).Mean;
        var diff = (a.Values - mean).abs().max().item<float>();
        Assert.True(diff < 1e-5, $"chunked latents differ from whole-clip latents by {diff}");
    }

    [Fact]
    public void Chunked_V11_TailIsPaddedAndTrimmed()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 4 });
        using var scope = NewDisposeScope();
        var x = Video(11); // 1 + 4 + 4 + 2: the last chunk is padded to 4 frames with the last frame
        using var code = tokenizer.Encode(x);
        Assert.Equal(4L, code.GridSize.Time);
        Assert.Equal(x.shape, tokenizer.Decode(code).shape);
    }

    [Fact]
    public void Kl_SampleMode_IsSeededAndDiffersFromMean()
    {
        using var model = TinyModels.Model(VidTokFamily.CausalV1_1, fsq: false);
        using var scope = NewDisposeScope();
        var x = Video(5);
        using var mean = (Latents)new VideoTokenizer(model).Encode(x);
        using var s1 = (Latents)new VideoTokenizer(model, new TokenizerOptions { Latent = LatentMode.Sample, Seed = 7 }).Encode(x);
        using var s2 = (Latents)new VideoTokenizer(model, new TokenizerOptions { Latent = LatentMode.Sample, Seed = 7 }).Encode(x);
        Assert.True(s1.Values.eq(s2.Values).all().item<bool>());
        Assert.False(s1.Values.allclose(mean.Values));
    }

    [Fact]
    public void Encode_SpatialSizeNotDivisible_ThrowsUnderRefuse()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { Sizes = SizePolicy.Refuse });
        using var x = Video(5, size: 12);
        var e = Assert.Throws<InvalidInputException>(() => tokenizer.Encode(x));
        Assert.Contains("divisible by 8", e.Message);
    }

    [Fact]
    public void EncodeDecode_LeavesNoLiveTensors()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 4 });
        using var x = Video(13);
        // Warm up once so lazily created tensors (e.g. inside TorchSharp) are not counted.
        using (var c = tokenizer.Encode(x)) tokenizer.Decode(c).Dispose();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var code = tokenizer.Encode(x))
        using (var y = tokenizer.Decode(code)) { }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
