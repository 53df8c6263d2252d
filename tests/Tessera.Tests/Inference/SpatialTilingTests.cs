using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

[DisposeScopePerTest]
public sealed class SpatialTilingTests
{
    [Theory]
    [InlineData(64, 32, 8)]
    [InlineData(72, 32, 16)]
    [InlineData(200, 64, 24)]
    [InlineData(32, 32, 8)]
    [InlineData(16, 32, 8)]
    public void Tiles_CoverTheAxis_AndTheirWeightsBlendContinuously(int length, int tile, int overlap)
    {
        var starts = SpatialTiles.Starts(length, tile, overlap);
        var size = Math.Min(tile, length);
        Assert.Equal(0, starts[0]);
        Assert.Equal(length, starts[^1] + size);
        for (var i = 1; i < starts.Count; i++)
        {
            Assert.True(starts[i] > starts[i - 1], "tiles must advance");
            Assert.True(starts[i] <= starts[i - 1] + size - overlap, $"tiles {i - 1} and {i} overlap by less than {overlap}");
        }
        var sum = new double[length];
        foreach (var s in starts)
        {
            var w = SpatialTiles.Ramp(s, size, length, overlap);
            Assert.All(w, v => Assert.InRange(v, 1e-6f, 1f));
            for (var i = 0; i < size; i++) sum[s + i] += w[i];
        }
        // Every position is covered with positive weight; away from overlaps a tile has weight 1 (the untiled value).
        Assert.All(sum, v => Assert.True(v > 0));
        if (starts.Count == 1) Assert.All(sum, v => Assert.Equal(1.0, v));
    }

    /// <summary>A model with no spatial context (average pooling / nearest upsampling per position): tiled must equal untiled.</summary>
    private sealed class Pointwise : ICausalAutoencoder
    {
        public int TemporalFactor => 1;
        public int EncodeSteps => 1;
        public int DecodeSteps => 1;
        public Tensor EncodeRaw(Tensor video, CausalCache cache) =>
            nn.functional.avg_pool3d(video.tanh(), [1, 8, 8]);
        public Tensor DecodeRaw(Tensor latent, CausalCache cache) =>
            nn.functional.interpolate(latent * 2, scale_factor: [1, 8, 8], mode: InterpolationMode.Nearest);
        public int DecodeLookAhead => 0;
        public void PrepareOverlapDecode(CausalCache cache) { }
    }

    [Theory]
    [InlineData(48, 80, 32, 32, 16)]
    [InlineData(64, 64, 32, 48, 8)]
    [InlineData(40, 104, 24, 40, 16)]
    public void Blending_IsExact_ForAModelWithoutSpatialContext(int height, int width, int tileH, int tileW, int overlap)
    {
        using var scope = NewDisposeScope();
        var model = new Pointwise();
        var tiled = new TiledAutoencoder(model, new TileSize(tileW, tileH, overlap), 8);
        var x = rand(new long[] { 2, 3, 3, height, width }, generator: new Generator(5)) * 2 - 1;
        using var none = CausalCache.None();
        var z = model.EncodeRaw(x, none);
        var zTiled = tiled.EncodeRaw(x, none);
        Assert.Equal(z.shape, zTiled.shape);
        Assert.True((z - zTiled).abs().max().item<float>() < 1e-6, "tiled encoder output differs from untiled");
        var y = model.DecodeRaw(z, none);
        var yTiled = tiled.DecodeRaw(z, none);
        Assert.Equal(y.shape, yTiled.shape);
        Assert.True((y - yTiled).abs().max().item<float>() < 1e-6, "tiled decoder output differs from untiled");
    }

    [Theory]
    [InlineData(VidTokFamily.CausalV1_1)]
    [InlineData(VidTokFamily.CausalV1_0)]
    [InlineData(VidTokFamily.NonCausal)]
    public void OneTileCoveringTheFrame_IsTheUntiledPass(object familyValue)
    {
        var family = (VidTokFamily)familyValue;
        using var model = TinyModels.Model(family);
        using var plain = new VideoTokenizer(model);
        using var tiled = new VideoTokenizer(model, new TokenizerOptions { Tile = new TileSize(64, 64, 16) });
        using var scope = NewDisposeScope();
        var x = EncodeSessionTests.Video(9, size: 32);
        using var a = (TokenIds)plain.Encode(x);
        using var b = (TokenIds)tiled.Encode(x);
        Assert.True(a.Ids.eq(b.Ids).all().item<bool>());
        Assert.True(plain.Decode(a).eq(tiled.Decode(a)).all().item<bool>());
    }

    [Fact]
    public void TiledStream_EqualsTiledWholeVideo_IdsAndFrames()
    {
        using var model = TinyModels.Model(VidTokFamily.CausalV1_1);
        var options = new TokenizerOptions { TemporalChunk = 4, Tile = new TileSize(32, 32, 16) };
        using var tokenizer = new VideoTokenizer(model, options);
        using var scope = NewDisposeScope();
        var x = EncodeSessionTests.Video(14, size: 48);
        using var whole = (TokenIds)tokenizer.Encode(x);       // chunked path, 4 tiles of 32x32 on a 48x48 frame
        using var session = tokenizer.StartEncode();
        var (codes, _) = EncodeSessionTests.Stream(session, x, [2, 5, 1, 6]);
        var ids = cat(codes.Select(c => ((TokenIds)c).Ids).ToArray(), 1);
        Assert.Equal(whole.Ids.shape, ids.shape);
        Assert.True(whole.Ids.eq(ids).all().item<bool>(), "a tiled stream's ids differ from one tiled call's");

        var frames = tokenizer.Decode(whole);
        using var decode = tokenizer.StartDecode();
        var pulled = new List<Tensor>();
        foreach (var c in codes)
        {
            decode.Push(c);
            if (decode.Pull() is { } f) pulled.Add(f);
        }
        decode.Complete();
        if (decode.Pull() is { } rest) pulled.Add(rest);
        var streamed = cat(pulled.ToArray(), 2);
        Assert.Equal(frames.shape, streamed.shape);
        var diff = (frames - streamed).abs().max().item<float>();
        Assert.True(diff < 1e-4, $"a tiled decode stream differs from one tiled call by {diff}");
        foreach (var c in codes) c.Dispose();
    }

    [Fact]
    public void Tiles_TheModelCannotTake_AreRefusedWithTheReason()
    {
        using var model = TinyModels.Model(VidTokFamily.CausalV1_1);
        var e = Assert.Throws<ConfigException>(() => new VideoTokenizer(model, new TokenizerOptions { Tile = new TileSize(36, 32, 8) }));
        Assert.Contains("multiples of", e.Message);
        e = Assert.Throws<ConfigException>(() => new VideoTokenizer(model, new TokenizerOptions { Tile = new TileSize(32, 32, 32) }));
        Assert.Contains("overlap", e.Message);
    }
}
