using Tessera.Video;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Video;

[DisposeScopePerTest]
public sealed class VideoClipTests
{
    [Fact]
    public void Model_input_is_normalised_channels_first()
    {
        using var scope = NewDisposeScope();
        var frames = tensor(new byte[] { 0, 51, 255, 10, 20, 30 }, [2L, 1, 1, 3]);
        using var clip = new VideoClip(frames, 30);
        var x = clip.ToModelInput();
        Assert.Equal([1L, 3, 2, 1, 1], x.shape);
        Assert.Equal(ScalarType.Float32, x.dtype);
        Assert.Equal(-1f, x[0, 0, 0, 0, 0].item<float>());
        Assert.Equal((51f / 255f - 0.5f) / 0.5f, x[0, 1, 0, 0, 0].item<float>());
        Assert.Equal(1f, x[0, 2, 0, 0, 0].item<float>());
        Assert.Equal((30f / 255f - 0.5f) / 0.5f, x[0, 2, 1, 0, 0].item<float>());
    }

    [Fact]
    public void Model_output_is_clamped_scaled_and_truncated_like_numpy_astype()
    {
        using var scope = NewDisposeScope();
        // values along T: -2 (clamped), 0 (→127.5), 0.999 (→254.87), 3 (clamped), -0.9 (→12.75)
        var v = tensor(new float[] { -2f, 0f, 0.999f, 3f, -0.9f }).view(1, 5, 1, 1).expand(3, 5, 1, 1).contiguous();
        using var trunc = VideoClip.FromModelOutput(v.unsqueeze(0), 8);
        Assert.Equal([5L, 1, 1, 3], trunc.Frames.shape);
        Assert.Equal(new byte[] { 0, 127, 254, 255, 12 }, trunc.Frames[.., 0, 0, 0].data<byte>().ToArray());
        Assert.Equal(8, trunc.Fps);

        using var round = VideoClip.FromModelOutput(v, 8, quantization: PixelQuantization.Round); // [3, T, H, W] too
        Assert.Equal(new byte[] { 0, 128, 255, 255, 13 }, round.Frames[.., 0, 0, 0].data<byte>().ToArray());
    }

    [Fact]
    public void Model_output_channels_map_to_rgb()
    {
        using var scope = NewDisposeScope();
        var v = tensor(new float[] { -1f, 0.2f, 1f }).view(3, 1, 1, 1);
        using var clip = VideoClip.FromModelOutput(v, 30);
        Assert.Equal(new byte[] { 0, 153, 255 }, clip.Frames.data<byte>().ToArray());
    }

    [Fact]
    public void Round_trip_through_model_range_with_rounding_is_exact()
    {
        using var scope = NewDisposeScope();
        var all = arange(256, ScalarType.Int32).to_type(ScalarType.Byte).view(1, 16, 16, 1).expand(1, 16, 16, 3).contiguous();
        using var clip = new VideoClip(all, 30);
        using var back = VideoClip.FromModelOutput(clip.ToModelInput(), 30, quantization: PixelQuantization.Round);
        Assert.True(TestMedia.Equal(clip.Frames, back.Frames));
    }

    [Fact]
    public void Rejects_wrong_shapes_and_types()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<InvalidInputException>(() => new VideoClip(zeros(2, 4, 4, 3), 30));
        Assert.Throws<InvalidInputException>(() => new VideoClip(zeros([2, 4, 4, 4], ScalarType.Byte), 30));
        Assert.Throws<InvalidInputException>(() => new VideoClip(zeros([2, 4, 4, 3], ScalarType.Byte), 0));
        Assert.Throws<InvalidInputException>(() => VideoClip.FromModelOutput(zeros([2, 3, 1, 4, 4]), 30));
        Assert.Throws<InvalidInputException>(() => VideoClip.FromModelOutput(zeros(4, 1, 4, 4), 30));
        Assert.Throws<InvalidInputException>(() => VideoClip.FromModelOutput(zeros([3, 1, 4, 4], ScalarType.Int32), 30));
    }

    [Fact]
    public void Clip_owns_its_frames_beyond_the_callers_scope()
    {
        VideoClip clip;
        using (var scope = NewDisposeScope())
        {
            clip = new VideoClip(ones([2, 3, 4, 3], ScalarType.Byte).permute(0, 1, 2, 3), 30);
        }
        using (clip)
        {
            Assert.True(clip.Frames.is_contiguous());
            Assert.Equal((2, 3, 4), (clip.FrameCount, clip.Height, clip.Width));
            Assert.Equal(72L, clip.Frames.sum().item<long>());
        }
        Assert.Throws<ObjectDisposedException>(() => clip.Frames);
    }
}
