using Tessera.Checkpoints;
using Tessera.Inference;
using Tessera.Models;
using Tessera.Tokens;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Models;

/// <summary>
/// What every model family owes the <see cref="VideoTokenizer"/> facade. Each family subclasses this once with a
/// tiny config; every fact here then runs against it.
/// </summary>
public abstract class TokenizerContract
{
    /// <summary>A tiny config of the family (random weights, a few frames of 2× the spatial multiple run in well under a second).</summary>
    protected abstract ModelConfig Config { get; }

    protected ModelCard Card => Config.Card;

    // Random weights; no fact compares two models, so the global seed is left alone for tests running alongside.
    private protected TokenizerModel CreateModel() => ModelFamilies.Create(Config);

    /// <summary>A frame count the card's rule accepts, past the first one.</summary>
    protected int AcceptedFrames => Card.Frames.Step == 0 ? Card.Frames.First : Card.Frames.First + Card.Frames.Step;

    protected Tensor Video(int frames, int seed = 1)
    {
        var size = 2 * Card.SpatialMultiple;
        var range = Card.Range;
        var g = new Generator((ulong)seed);
        return rand(new long[] { 1, 3, frames, size, size }, generator: g) * (range.Max - range.Min) + range.Min;
    }

    [Fact]
    public void Config_IsRegisteredAndRoundTripsThroughMetadata()
    {
        var family = ModelFamilies.Of(Config);
        Assert.Equal(Config.FamilyName, family.Name);
        Assert.Equal(family.Name, Card.Family);
        Assert.Equal(Config.Name, Card.Name);
        var meta = new Dictionary<string, string>();
        ModelFamilies.WriteConfig(meta, Config);
        Assert.Equal(Config, ModelFamilies.ReadConfig(meta, "test"));
    }

    [Fact]
    public void EncodeDecode_PreservesShapeAndGivesFiniteFloat32()
    {
        using var tokenizer = new VideoTokenizer(CreateModel());
        using var scope = NewDisposeScope();
        var x = Video(AcceptedFrames);
        using var code = tokenizer.Encode(x);
        Assert.Equal(AcceptedFrames, code.Frames);
        Assert.Equal(1L, code.BatchSize);
        var y = tokenizer.Decode(code);
        Assert.Equal(x.shape, y.shape);
        // Decoders return their raw output (as the references do), nominally in the card's range but not clamped.
        Assert.Equal(ScalarType.Float32, y.dtype);
        Assert.True(y.isfinite().all().item<bool>());
    }

    [Fact]
    public void Code_HasTheCardsGroupsOrLatents()
    {
        using var tokenizer = new VideoTokenizer(CreateModel());
        using var x = Video(AcceptedFrames);
        using var code = tokenizer.Encode(x);
        Assert.Equal(Card.IsDiscrete, code is TokenIds);
        switch (code)
        {
            case TokenIds ids:
                Assert.Equal(Card.TokenGroups.Select(g => g.Name), ids.Groups.Keys);
                foreach (var g in Card.TokenGroups)
                {
                    var t = ids[g.Name];
                    Assert.Equal(ScalarType.Int32, t.dtype);
                    Assert.Equal(g.Rank + 1, (int)t.dim());
                    Assert.True(t.min().item<int>() >= 0 && t.max().item<int>() < g.CodebookSize, $"group '{g.Name}' leaves [0, {g.CodebookSize})");
                }
                Assert.Equal(Card.TokenGroups.Sum(g => ids[g.Name].numel() * Math.Log2(g.CodebookSize)), ids.Bits, 6);
                break;
            case Latents l:
                Assert.Equal(Card.LatentChannels, (int)l.Values.shape[1]);
                break;
        }
    }

    [Fact]
    public void Encode_IsDeterministic()
    {
        using var tokenizer = new VideoTokenizer(CreateModel());
        using var x = Video(AcceptedFrames);
        using var a = tokenizer.Encode(x);
        using var b = tokenizer.Encode(x);
        Assert.True(Tensors(a).Zip(Tensors(b)).All(p => Same(p.First, p.Second)));
    }

    [Fact]
    public void FrameRule_RefusedOrPaddedAndTrimmed()
    {
        var rule = Card.Frames;
        var rejected = Enumerable.Range(1, 64).Where(n => !rule.Accepts(n) && rule.NextAccepted(n) is not null).Cast<int?>().FirstOrDefault();
        if (rejected is not { } frames) return;   // the family takes any count
        using var model = CreateModel();
        using var refusing = new VideoTokenizer(model, new TokenizerOptions { Frames = FramePolicy.Refuse });
        using var scope = NewDisposeScope();
        var x = Video(frames);
        var e = Assert.Throws<InvalidInputException>(() => refusing.Encode(x));
        Assert.Contains(rule.Describe(), e.Message);

        var padding = new VideoTokenizer(model);   // shares the model; the refusing tokenizer disposes it
        using var code = padding.Encode(x);
        Assert.Equal(frames, code.Frames);
        Assert.Equal(x.shape, padding.Decode(code).shape);
    }

    [Fact]
    public void EncodeDecode_LeavesNoLiveTensors()
    {
        using var tokenizer = new VideoTokenizer(CreateModel());
        using var x = Video(AcceptedFrames);
        using (var c = tokenizer.Encode(x)) tokenizer.Decode(c).Dispose();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var code = tokenizer.Encode(x))
        using (var y = tokenizer.Decode(code)) { }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Dispose_FreesTheModelsWeights()
    {
        var model = CreateModel();
        var weights = model.parameters().ToList();
        Assert.NotEmpty(weights);
        new VideoTokenizer(model).Dispose();
        Assert.All(weights, p => Assert.True(p.IsInvalid));
    }

    [Fact]
    public void To_ConvertsEveryParameter()
    {
        // Module.to() finds fields and properties by reflection; a family's members must not trip it.
        using var model = CreateModel();
        model.to(ScalarType.Float64);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float64, p.dtype));
    }

    [Fact]
    public void TokenFile_RoundTripsTheCode()
    {
        using var dir = new TempDir();
        var path = dir.File("code.safetensors");
        using var tokenizer = new VideoTokenizer(CreateModel());
        using var x = Video(AcceptedFrames);
        using var code = tokenizer.Encode(x);
        TokenFile.Save(path, code, new TokenFileInfo { Fps = 8 });

        using (var raw = SafeTensorsFile.Load(path))
        {
            Assert.Equal(Card.Family, raw.Metadata[ModelFamilies.FamilyKey]);
            var expected = Card.IsDiscrete ? Card.TokenGroups.Select(g => g.Name).ToArray() : new[] { TokenFile.LatentsKey };
            Assert.Equal(expected.Order(), raw.Keys.Order());
        }
        var (loaded, info) = TokenFile.Load(path);
        using (loaded)
        {
            Assert.Equal(code.GetType(), loaded.GetType());
            Assert.Equal(Config, loaded.Config);
            Assert.Equal(code.Frames, loaded.Frames);
            Assert.Equal(code.LeadingFrames, loaded.LeadingFrames);
            Assert.True(Tensors(code).Zip(Tensors(loaded)).All(p => Same(p.First, p.Second)));
            using var scope = NewDisposeScope();
            Assert.True(Same(tokenizer.Decode(code), tokenizer.Decode(loaded)));
        }
        Assert.Equal(8, info.Fps);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static IEnumerable<Tensor> Tensors(VideoCode code) => code switch
    {
        TokenIds ids => ids.TokenGroups.Select(g => ids[g.Name]),
        Latents l => [l.Values],
        _ => [],
    };
}
