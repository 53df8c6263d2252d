using Tessera.Video;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Video;

/// <summary>
/// Antialiased bilinear (torchvision/PIL semantics) checked against weights worked out by hand: for a downscale by 2 the
/// triangle filter is widened to support 2, so output i (centre 2i+1 in input coordinates) takes inputs 2i-1..2i+2 with
/// weights 1-|d|/2 at distances d = 1.5, 0.5, 0.5, 1.5, i.e. (1, 3, 3, 1)/8; at the borders the missing tap is dropped
/// and the rest renormalised: (3, 3, 1)/7.
/// </summary>
[DisposeScopePerTest]
public sealed class FrameResizeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static float[] Row(Tensor t) => t.contiguous().data<float>().ToArray();

    [Fact]
    public void Downscale_by_two_uses_widened_triangle_weights()
    {
        using var scope = NewDisposeScope();
        float[] v = [10, 50, 20, 90, 0, 255, 30, 70];
        var x = tensor(v).view(1, 1, 1, 8);
        var y = Row(FrameResize.ResizeFloat(x, 1, 4));
        float[] expected =
        [
            (3 * v[0] + 3 * v[1] + v[2]) / 7,
            (v[1] + 3 * v[2] + 3 * v[3] + v[4]) / 8,
            (v[3] + 3 * v[4] + 3 * v[5] + v[6]) / 8,
            (v[5] + 3 * v[6] + 3 * v[7]) / 7,
        ];
        for (var i = 0; i < 4; i++) Assert.Equal(expected[i], y[i], 3);
    }

    [Fact]
    public void Downscale_is_separable_in_two_dimensions()
    {
        using var scope = NewDisposeScope();
        var x = arange(16, ScalarType.Float32).mul(3).remainder(17).view(1, 1, 4, 4);
        var y = FrameResize.ResizeFloat(x, 2, 2);
        // Height 4 → 2: rows weighted (3,3,1)/7 and (1,3,3)/7; same for columns.
        var w = tensor(new float[,] { { 3, 3, 1, 0 }, { 0, 1, 3, 3 } }).div(7);
        var expected = w.matmul(x[0, 0]).matmul(w.t());
        Assert.True(allclose(y[0, 0], expected, rtol: 1e-5, atol: 1e-4));
    }

    [Fact]
    public void Upscale_by_two_is_plain_bilinear()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 0, 100, 40 }).view(1, 1, 1, 3);
        var y = Row(FrameResize.ResizeFloat(x, 1, 6));
        float[] expected = [0, 25, 75, 85, 55, 40];
        for (var i = 0; i < 6; i++) Assert.Equal(expected[i], y[i], 3);
    }

    [Theory]
    [InlineData(480, 640, 256, 256, 341)]
    [InlineData(640, 480, 256, 341, 256)]
    [InlineData(100, 100, 32, 32, 32)]
    public void Short_side_size_matches_torchvision(int h, int w, int s, int eh, int ew) =>
        Assert.Equal((eh, ew), FrameResize.ShortSideSize(h, w, s));

    [Fact]
    public void Cover_size_fits_non_square_targets()
    {
        Assert.Equal((256, 341), FrameResize.CoverSize(480, 640, 256, 256));
        Assert.Equal((240, 320), FrameResize.CoverSize(480, 640, 180, 320)); // width is the binding side
        Assert.Equal((90, 120), FrameResize.CoverSize(480, 640, 90, 100));
    }

    [Fact]
    public void Center_crop_offset_rounds_half_to_even_like_python()
    {
        Assert.Equal((2, 4), FrameResize.CenterCropOffset(15, 18, 10, 11)); // 2.5 → 2, 3.5 → 4
        Assert.Equal((0, 5), FrameResize.CenterCropOffset(32, 42, 32, 32));
    }

    [Fact]
    public void Short_side_center_crop_on_a_gradient_image()
    {
        // 32x64 image, every column c holds 4c. Resize(16) halves it to 16x32: interior column j is
        // 4·(c[2j-1] + 3c[2j] + 3c[2j+1] + c[2j+2])/8 = 8j + 2; CenterCrop(16) keeps columns 8..23.
        using var scope = NewDisposeScope();
        var img = arange(64, ScalarType.Int32).mul(4).to_type(ScalarType.Byte).view(1, 1, 64, 1).expand(1, 32, 64, 3).contiguous();
        var path = _dir.File("gradient.png");
        using (var clip = new VideoClip(img, 30)) VideoWriter.Write(path, clip);

        using var read = VideoReader.Read(path, new ReadOptions { Size = (16, 16) });
        Assert.Equal([1L, 16, 16, 3], read.Frames.shape);
        var expected = arange(16, ScalarType.Int32).mul(8).add(66).to_type(ScalarType.Byte).view(1, 1, 16, 1).expand(1, 16, 16, 3);
        Assert.True(TestMedia.Equal(read.Frames, expected.contiguous()));
        Assert.Equal(new VideoSource(path, 64, 32, 30, 1, 0), read.Source);

        using var exact = VideoReader.Read(path, new ReadOptions { Size = (8, 12), ResizeMode = ResizeMode.Exact });
        Assert.Equal([1L, 8, 12, 3], exact.Frames.shape);
    }

    [Fact]
    public void Uint8_resize_rounds_and_keeps_same_size_unchanged()
    {
        using var scope = NewDisposeScope();
        var frames = tensor(new byte[] { 0, 0, 0, 1, 1, 1, 2, 2, 2, 255, 255, 255 }, [1L, 1, 4, 3]);
        var same = FrameResize.Resize(frames, 1, 4);
        Assert.True(TestMedia.Equal(frames, same));
        var half = FrameResize.Resize(frames, 1, 2);
        // (3·0 + 3·1 + 2)/7 = 0.714 → 1 ; (1 + 3·2 + 3·255)/7 = 110.29 → 110
        Assert.Equal(new byte[] { 1, 1, 1, 110, 110, 110 }, half.data<byte>().ToArray());
    }
}
