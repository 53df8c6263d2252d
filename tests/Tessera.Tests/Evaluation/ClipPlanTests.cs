using Tessera.Evaluation;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;

namespace Tessera.Tests.Evaluation;

[DisposeScopePerTest]
public sealed class ClipPlanTests
{
    [Fact]
    public void Clips_AreConsecutive_NonOverlapping_TailPaddedWithItsLastFrame()
    {
        var clips = ClipPlan.Clips(40, 17);
        Assert.Equal([new ClipSpan(0, 17, 0), new ClipSpan(17, 17, 0), new ClipSpan(34, 6, 11)], clips);
        Assert.Equal([34, 35, 36, 37, 38, 39, 39, 39, 39, 39, 39, 39, 39, 39, 39, 39, 39], clips[2].FrameIndices());
        Assert.All(clips, c => Assert.Equal(17, c.Length));
    }

    [Theory]
    [InlineData(34, 2, 0)]
    [InlineData(16, 1, 1)]
    [InlineData(1, 1, 16)]
    [InlineData(0, 0, 0)]
    public void Clips_CountAndPadding(int frames, int clips, int padding)
    {
        var plan = ClipPlan.Clips(frames, 17);
        Assert.Equal(clips, plan.Count);
        Assert.Equal(padding, plan.Sum(c => c.PaddedFrames));
    }

    [Fact]
    public void DefaultClipFrames_17Causal_16NonCausal()
    {
        Assert.Equal(17, ClipPlan.DefaultClipFrames(TinyModels.Config(VidTokFamily.CausalV1_0)));
        Assert.Equal(17, ClipPlan.DefaultClipFrames(TinyModels.Config(VidTokFamily.CausalV1_1)));
        Assert.Equal(16, ClipPlan.DefaultClipFrames(TinyModels.Config(VidTokFamily.NonCausal)));
    }

    [Theory]
    [InlineData(100, 97)]   // 16·⌊99/16⌋ + 1
    [InlineData(97, 97)]
    [InlineData(96, 81)]
    [InlineData(10, 1)]
    public void LongVideoFrames_Causal_TruncatesAsTheReference(int frames, int kept)
    {
        var config = TinyModels.Config(VidTokFamily.CausalV1_1);
        Assert.Equal(kept, ClipPlan.LongVideoFrames(config, frames, 16, LongVideoLength.TruncateAsReference));
        Assert.Equal(frames, ClipPlan.LongVideoFrames(config, frames, 16, LongVideoLength.KeepAll));
    }

    [Fact]
    public void SampleIndices_SpreadOverTheVideo()
    {
        Assert.Equal([0, 33, 66, 99], Evaluator.SampleIndices(100, 4));
        Assert.Equal([0, 1], Evaluator.SampleIndices(2, 4));
        Assert.Empty(Evaluator.SampleIndices(0, 4));
    }
}
