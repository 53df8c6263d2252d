using Tessera.Inference;
using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

[DisposeScopePerTest]
public class FixedClipsTests
{
    [Fact]
    public void Split_CutsConsecutiveWholeClips_VideoMajor_AndLeavesTheTailOut()
    {
        // Frame value = 100·video + frame index, so each clip's frames say where they came from.
        using var video = (arange(2).view(2, 1, 1, 1, 1) * 100 + arange(11).view(1, 1, 11, 1, 1)).expand(2, 3, 11, 2, 3).to_type(ScalarType.Float32);
        using var clips = FixedClips.Split(video, FrameRule.Exactly(4), out var perVideo, out var dropped);
        Assert.Equal(2, perVideo);
        Assert.Equal(3, dropped);
        Assert.Equal(new long[] { 4, 3, 4, 2, 3 }, clips.shape);
        float[] FirstFrames() => Enumerable.Range(0, 4).Select(i => clips[i, 0, 0, 0, 0].item<float>()).ToArray();
        Assert.Equal(new[] { 0f, 4f, 100f, 104f }, FirstFrames());
        Assert.Equal(7f, clips[1, 2, 3, 1, 2].item<float>());
    }

    [Theory]
    [InlineData(4, 0)]   // exactly one clip
    [InlineData(3, 0)]   // shorter: left to the frame rule
    [InlineData(9, 4)]   // a rule with a step: not fixed-length
    public void Split_LeavesOtherVideosWhole(int frames, int step)
    {
        using var video = arange(3L * frames * 4, ScalarType.Float32).view(1, 3, frames, 2, 2);
        using var same = FixedClips.Split(video, new FrameRule(4, step), out var perVideo, out var dropped);
        Assert.Equal((1, 0), (perVideo, dropped));
        Assert.Equal(video.shape, same.shape);
        Assert.True(same.eq(video).all().item<bool>());
    }
}
