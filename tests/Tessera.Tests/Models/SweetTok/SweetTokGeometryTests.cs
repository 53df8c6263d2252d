using Tessera.Models.SweetTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>
/// Nothing is tied to the official or golden sizes: another geometry, other block strings, head widths whose
/// product is not the model width, another top-k, null-KV count and batch size all run end to end (random weights).
/// </summary>
[DisposeScopePerTest]
public sealed class SweetTokGeometryTests
{
    private static readonly SweetTokConfig Small = new()
    {
        Name = "small",
        ImageSize = 16, Frames = 9, PatchSize = 4, TemporalPatchSize = 4,
        Dim = 32, Heads = 2, DimHead = 8, WindowSize = 2,
        EncBlock = "wtwt", DecBlock = "twwt", TemporalDepth = 3, AttnNumNullKv = 1,
        NumSpatialLatentTokens = 4, NumTemporalLatentTokens = 16,
        EDim = 16, TopK = 3, SpatialPriorDim = 6, TemporalPriorDim = 5,
        ProxyCodebookSize = 12, ProxyCodeDim = 4,
        PixBlock = "tw", PixTemporalDepth = 1, PixDim = 24, PixHeads = 3, PixDimHead = 4,
        ProxyEncBlock = "wt", ProxyTemporalDepth = 1,
    };

    [Fact]
    public void SmallModel_BatchOfTwo_EncodesAndDecodesEachClipOnItsOwn()
    {
        manual_seed(7);
        using var model = new SweetTokModel(Small);
        model.eval();
        using var spatial = RandomGraph(9, 11, Small.SpatialPriorDim);
        using var temporal = RandomGraph(5, 8, Small.TemporalPriorDim);
        model.RefineCodebooks(spatial, temporal);
        using var scope = NewDisposeScope();
        using var grad = no_grad();

        var video = rand([2, 3, Small.Frames, Small.ImageSize, Small.ImageSize]) - 0.5;
        using var encoding = model.Encode(video);
        var codes = encoding.Codes;
        Assert.Equal([2L, 4, 3], codes.Adjective.shape);
        Assert.Equal([2L, 4], codes.Noun.shape);
        Assert.Equal([2L, 16, 3], codes.Adverb.shape);
        Assert.Equal([2L, 16], codes.Verb.shape);
        Assert.Equal([2L, 4 * 3 + 4 + 16 * 3 + 16], codes.Flat().shape);
        Assert.True(codes.Adjective.lt(9).all().item<bool>() && codes.Noun.lt(11).all().item<bool>());
        Assert.True(codes.Adverb.lt(5).all().item<bool>() && codes.Verb.lt(8).all().item<bool>());
        // Top-k is nearest first and never repeats a word within a query.
        Assert.True(codes.Adjective[.., .., 0].ne(codes.Adjective[.., .., 1]).all().item<bool>());

        var (lookedUpS, lookedUpT) = model.LookUp(codes);
        Assert.True(lookedUpS.allclose(encoding.SpatialQuantized, 0, 1e-6) && lookedUpT.allclose(encoding.TemporalQuantized, 0, 1e-6));

        var logits = model.DecodeLogits(encoding.SpatialQuantized, encoding.TemporalQuantized);
        Assert.Equal([2L, 12, 3, 4, 4], logits.shape);
        var rec = model.DecodePixels(logits);
        Assert.Equal(video.shape, rec.shape);
        Assert.True(rec.isfinite().all().item<bool>());

        using var single = model.Encode(video[1..]);
        Assert.True(single.Codes.Flat().eq(codes.Flat()[1..]).all().item<bool>());
        var singleRec = model.DecodePixels(model.DecodeLogits(single.SpatialQuantized, single.TemporalQuantized));
        Assert.True(singleRec.allclose(rec[1..], 1e-5, 1e-5));
    }

    [Fact]
    public void SmallProxy_CodesHaveTheLatentGrid()
    {
        manual_seed(8);
        using var proxy = new ProxyTokenizer(Small);
        proxy.eval();
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var video = rand([2, 3, Small.Frames, Small.ImageSize, Small.ImageSize]) - 0.5;
        var codes = proxy.Encode(video);
        Assert.Equal([2L, Small.LatentFrames, Small.GridSize, Small.GridSize], codes.shape);
        Assert.Equal(video.shape, proxy.Decode(codes).shape);
    }

    [Fact]
    public void Stage1Layout_HasNoPixelPath()
    {
        using var model = new SweetTokModel(Small with { FinetuneDecoder = false });
        Assert.DoesNotContain(model.state_dict().Keys, k => k.StartsWith("pixel_", StringComparison.Ordinal));
        using var logits = zeros([1, 12, 3, 4, 4]);
        Assert.Throws<InvalidOperationException>(() => model.DecodePixels(logits));
        using var video = zeros([1, 3, Small.Frames, Small.ImageSize, Small.ImageSize]);
        Assert.Throws<InvalidOperationException>(() => model.Encode(video)); // codebooks not set
    }

    [Fact]
    public void Priors_AreCheckedBeforeTheGcnRuns()
    {
        using var model = new SweetTokModel(Small);
        using var wrongWidth = RandomGraph(9, 11, Small.SpatialPriorDim + 1);
        using var fine = RandomGraph(5, 8, Small.TemporalPriorDim);
        Assert.Contains("[n, 6]", Assert.Throws<ArgumentException>(() => model.RefineCodebooks(wrongWidth, fine)).Message, StringComparison.Ordinal);
        using var outOfRange = new WordGraph(randn(4, Small.SpatialPriorDim), tensor(new long[] { 0, 9 }, [2, 1]), 2);
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() => model.RefineCodebooks(outOfRange, fine)).Message, StringComparison.Ordinal);
        var tooFew = new MlcCodebooks(zeros(2, Small.EDim), zeros(3, Small.EDim));
        Assert.Throws<ArgumentException>(() => model.SetCodebooks(tooFew, tooFew));
        tooFew.Dispose();
    }

    private static WordGraph RandomGraph(long first, long second, long dim)
    {
        var n = first + second;
        var source = randint(0, n, [3 * n]);
        var target = randint(0, n, [3 * n]);
        var edges = cat([stack([source, target]), stack([target, source])], 1);
        return new WordGraph(randn(n, dim), edges, first);
    }
}
