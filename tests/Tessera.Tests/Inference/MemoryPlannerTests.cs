using Tessera.Inference;
using Tessera.Models.VidTok;

namespace Tessera.Tests.Inference;

/// <summary>The tile and chunk <see cref="MemoryPlanner"/> picks for a budget, from <see cref="MemoryCost"/>'s predictions.</summary>
[DisposeScopePerTest]
public sealed class MemoryPlannerTests
{
    // The bundled model's footprint: 2.03M float32 parameters, 16 channels at full resolution in the encoder, 32 in the decoder.
    private static readonly ModelFootprint Small = new(8_130_000, 16, 32);

    private static MemoryPlanner.Request Request(MemoryPass pass, int height, int width, int frames = 161, bool streams = true) =>
        new(pass, Small, VidTokPresets.Get("vidtok_fsq_causal_488_262144").Card, Tileable: true, streams, (height, width), frames);

    [Fact]
    public void AGenerousBudget_RunsWholeFramesInTheDefaultChunk()
    {
        var (plan, _) = MemoryPlanner.Plan(64L << 30, Request(MemoryPass.Reconstruct, 256, 256));
        Assert.NotNull(plan);
        Assert.Null(plan.Tile);
        Assert.Equal(16, plan.TemporalChunk);
        Assert.Equal(1, plan.TilesPerFrame);
    }

    [Theory]
    [InlineData(20000, 1080, 1920)]
    [InlineData(3500, 512, 512)]
    [InlineData(2200, 384, 384)]
    public void ABudget_GetsTheLargestTileThatFits_AtTheDefaultChunk(int budgetMib, int height, int width)
    {
        var budget = (long)budgetMib << 20;
        var request = Request(MemoryPass.Reconstruct, height, width);
        var (plan, _) = MemoryPlanner.Plan(budget, request);

        Assert.NotNull(plan);
        var tile = Assert.IsType<TileSize>(plan.Tile);
        Assert.Equal(16, plan.TemporalChunk);
        Assert.True(plan.PredictedBytes <= budget * MemoryCost.Headroom);
        Assert.Equal(0, tile.Width % 8);
        Assert.Equal(0, tile.Overlap % 8);
        Assert.True(plan.TilesPerFrame > 1);
        // One step larger does not fit (or is the whole frame, which was tried first).
        var larger = Math.Min(Math.Max(tile.Width, tile.Height) + 8, Math.Max(height, width));
        var next = MemoryPlanner.Evaluate(request, new TileSize(Math.Min(larger, width), Math.Min(larger, height), tile.Overlap), 16);
        Assert.True(next.PredictedBytes > budget * MemoryCost.Headroom, $"{next} fits {budgetMib} MiB too, yet {plan} was chosen");
    }

    [Fact]
    public void A1080pReconstruct_FitsFourGiB_InTilesOf256OrMore()
    {
        // Issue 11's target: 5 frames of 1920x1080 (one whole-clip pass) through reconstruct within 4 GiB.
        var (plan, _) = MemoryPlanner.Plan(4L << 30, Request(MemoryPass.Reconstruct, 1080, 1920, frames: 5));
        Assert.NotNull(plan);
        var tile = Assert.IsType<TileSize>(plan.Tile);
        Assert.True(Math.Min(tile.Width, tile.Height) >= 256, $"{plan}");
    }

    [Fact]
    public void WhenTheSmallestTileDoesNotFit_TheChunkShrinks_ToAMultipleOfTheTemporalFactor()
    {
        var request = Request(MemoryPass.Reconstruct, 1080, 1920);
        var smallestAt16 = MemoryPlanner.Evaluate(request, new TileSize(64, 64, 16), 16);
        var (plan, _) = MemoryPlanner.Plan((long)(smallestAt16.PredictedBytes / MemoryCost.Headroom) - 1, request);

        Assert.NotNull(plan);
        Assert.True(plan.TemporalChunk < 16);
        Assert.Equal(0, plan.TemporalChunk % 4);
        Assert.True(plan.PredictedBytes < smallestAt16.PredictedBytes);
    }

    [Fact]
    public void ABudgetBelowTheSmallestPlan_IsRefused_WithTheSmallestPlan()
    {
        var (plan, smallest) = MemoryPlanner.Plan(100L << 20, Request(MemoryPass.Encode, 1080, 1920));
        Assert.Null(plan);
        Assert.True(smallest.PredictedBytes > 100L << 20);
        Assert.Equal(4, smallest.TemporalChunk);
        Assert.Equal(64, smallest.Tile!.Width);
    }

    [Fact]
    public void AGivenTileOrChunk_IsKept()
    {
        var request = Request(MemoryPass.Decode, 1080, 1920);
        var given = new TileSize(256, 256, 64);
        var (plan, _) = MemoryPlanner.Plan(64L << 30, request, tile: given);
        Assert.Equal(given, plan!.Tile);
        var (chunked, _) = MemoryPlanner.Plan(8L << 30, request, chunk: 8);
        Assert.Equal(8, chunked!.TemporalChunk);
        Assert.NotNull(chunked.Tile);
    }

    [Fact]
    public void AShortClip_PlansForItsOwnLength()
    {
        var longClip = MemoryPlanner.Evaluate(Request(MemoryPass.Encode, 256, 256, frames: 161), null, 16);
        var shortClip = MemoryPlanner.Evaluate(Request(MemoryPass.Encode, 256, 256, frames: 5), null, 16);
        Assert.True(shortClip.PredictedBytes < longClip.PredictedBytes);
    }

    [Fact]
    public void TheCost_GrowsWithTheTileTheFrameAndTheFrames()
    {
        long P((int, int) frame, (int, int) tile, int frames) => MemoryCost.Predict(MemoryPass.Decode, Small, frame, tile, frames);
        Assert.True(P((256, 256), (256, 256), 20) > P((256, 256), (128, 128), 20));
        Assert.True(P((512, 512), (128, 128), 20) > P((256, 256), (128, 128), 20));
        Assert.True(P((256, 256), (256, 256), 20) > P((256, 256), (256, 256), 8));
        Assert.True(MemoryCost.Predict(MemoryPass.Decode, Small with { DecoderWidth = 256 }, (256, 256), (256, 256), 20) > P((256, 256), (256, 256), 20));
    }

    [Theory]
    [InlineData("4G", 4L << 30)]
    [InlineData("1500M", 1500L << 20)]
    [InlineData("1.5GiB", 3L << 29)]
    [InlineData("512k", 512L << 10)]
    [InlineData("800000000", 800000000L)]
    public void Sizes_Parse(string text, long bytes) => Assert.Equal(bytes, MemorySize.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("G")]
    [InlineData("-1G")]
    [InlineData("0")]
    [InlineData("four gigs")]
    public void NonSizes_AreNotParsed(string text) => Assert.Null(MemorySize.Parse(text));
}
