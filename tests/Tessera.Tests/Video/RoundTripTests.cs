using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Tests.Video;

[DisposeScopePerTest]
public sealed class RoundTripTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Ffv1_mkv_round_trip_is_bit_exact()
    {
        using var clip = TestMedia.SmoothClip(5, 24, 32, fps: 25);
        var path = _dir.File("lossless.mkv");
        VideoWriter.Write(path, clip);
        using var back = VideoReader.Read(path);
        Assert.True(TestMedia.Equal(clip.Frames, back.Frames));
        Assert.Equal(25, back.Fps, 6);
        Assert.Equal(new VideoSource(System.IO.Path.GetFullPath(path), 32, 24, 25, null, 0) with { Path = path, FrameCount = back.Source!.FrameCount }, back.Source);
        Assert.Empty(back.Warnings);
        Assert.Equal(["lossless.mkv"], _dir.Entries()); // no temporaries left
    }

    [Fact]
    public void Random_pixels_survive_ffv1_exactly()
    {
        using var scope = NewDisposeScope();
        var frames = randint(0, 256, [3, 17, 19, 3], dtype: ScalarType.Int32).to_type(ScalarType.Byte);
        using var clip = new VideoClip(frames, 30);
        var path = _dir.File("noise.mkv");
        VideoWriter.Write(path, clip, new WriteOptions { Lossless = true });
        using var back = VideoReader.Read(path);
        Assert.True(TestMedia.Equal(clip.Frames, back.Frames));
    }

    [Fact]
    public void H264_mp4_round_trip_keeps_quality_and_fps()
    {
        using var clip = TestMedia.SmoothClip(6, 32, 48, fps: 24);
        var path = _dir.File("lossy.mp4");
        VideoWriter.Write(path, clip);
        using var back = VideoReader.Read(path);
        Assert.Equal([6L, 32, 48, 3], back.Frames.shape);
        Assert.Equal(24, back.Fps, 6);
        Assert.Equal(6L, back.Source!.FrameCount);
        Assert.True(TestMedia.Psnr(clip.Frames, back.Frames) > 30, $"PSNR {TestMedia.Psnr(clip.Frames, back.Frames)}");
    }

    [Fact]
    public void H264_pads_odd_sizes_by_one_pixel()
    {
        using var clip = TestMedia.SmoothClip(3, 31, 47);
        var path = _dir.File("odd.mp4");
        VideoWriter.Write(path, clip, new WriteOptions { Crf = 10 });
        using var back = VideoReader.Read(path);
        Assert.Equal([3L, 32, 48, 3], back.Frames.shape);
        using var cropped = back.Frames.narrow(1, 0, 31).narrow(2, 0, 47);
        Assert.True(TestMedia.Psnr(clip.Frames, cropped) > 30, $"PSNR {TestMedia.Psnr(clip.Frames, cropped)}");
    }

    [Fact]
    public void Ntsc_frame_rate_is_kept()
    {
        using var clip = TestMedia.IndexClip(4, fps: 30000.0 / 1001);
        var path = _dir.File("ntsc.mkv");
        VideoWriter.Write(path, clip);
        using var back = VideoReader.Read(path);
        Assert.Equal(30000.0 / 1001, back.Fps, 9);
    }

    [Fact]
    public void Frame_directory_round_trip_is_exact()
    {
        using var clip = TestMedia.SmoothClip(4, 9, 13);
        var dir = _dir.File("frames") + "/";
        VideoWriter.Write(dir, clip);
        Assert.Equal(["frame_000000.png", "frame_000001.png", "frame_000002.png", "frame_000003.png"],
            Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var back = VideoReader.Read(dir);
        Assert.True(TestMedia.Equal(clip.Frames, back.Frames));
        Assert.Equal(30, back.Fps);
        Assert.Equal(4L, back.Source!.FrameCount);
        Assert.Equal(["frames"], _dir.Entries());
    }

    [Fact]
    public void Frame_directory_uses_natural_order_and_source_fps()
    {
        using var clip = TestMedia.IndexClip(12);
        var dir = _dir.File("natural");
        Directory.CreateDirectory(dir);
        for (var t = 0; t < 12; t++)
        {
            using var one = new VideoClip(clip.Frames.narrow(0, t, 1).clone(), 30);
            VideoWriter.Write(Path.Combine(dir, $"img{t}.png"), one); // img10 must sort after img9
        }
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "ignored");
        using var back = VideoReader.Read(dir, new ReadOptions { SourceFps = 24, Fps = 12 });
        Assert.Equal([0, 2, 4, 6, 8, 10], TestMedia.Indices(back));
        Assert.Equal(12, back.Fps);
        Assert.Equal(24, back.Source!.Fps);
    }

    [Fact]
    public void Single_png_round_trip()
    {
        using var clip = TestMedia.SmoothClip(1, 7, 5);
        var path = _dir.File("still.png");
        VideoWriter.Write(path, clip);
        using var back = VideoReader.Read(path);
        Assert.Equal(1, back.FrameCount);
        Assert.True(TestMedia.Equal(clip.Frames, back.Frames));
        Assert.Equal(new VideoSource(path, 5, 7, 30, 1, 0), back.Source);
    }

    [Fact]
    public void Jpeg_image_reads_as_one_frame()
    {
        var path = _dir.File("photo.jpg");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=40x30:rate=1", "-frames:v", "1", path);
        using var back = VideoReader.Read(path);
        Assert.Equal([1L, 30, 40, 3], back.Frames.shape);
    }

    [Fact]
    public void Lavfi_generated_h264_is_read_with_its_frame_count()
    {
        var path = _dir.File("testsrc.mp4");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=32x32:rate=30", "-frames:v", "10", "-pix_fmt", "yuv420p", "-c:v", "libx264", path);
        using var back = VideoReader.Read(path);
        Assert.Equal(10, back.FrameCount);
        Assert.Equal(30, back.Fps, 6);
        Assert.Equal(10L, back.Source!.FrameCount);
    }

    [Fact]
    public void Avi_defaults_to_lossless_and_mov_to_h264()
    {
        using var clip = TestMedia.SmoothClip(3, 16, 24);
        var avi = _dir.File("clip.avi");
        VideoWriter.Write(avi, clip);
        using (var back = VideoReader.Read(avi)) Assert.True(TestMedia.Equal(clip.Frames, back.Frames));
        var mov = _dir.File("clip.mov");
        VideoWriter.Write(mov, clip);
        using (var back = VideoReader.Read(mov)) Assert.True(TestMedia.Psnr(clip.Frames, back.Frames) > 30);
    }

    [Fact]
    public void Webp_image_reads_as_one_frame()
    {
        var path = _dir.File("still.webp");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=20x10:rate=1", "-frames:v", "1", path);
        using var back = VideoReader.Read(path, new ReadOptions { Size = (8, 8) });
        Assert.Equal([1L, 8, 8, 3], back.Frames.shape);
        Assert.Equal(20, back.Source!.Width);
    }
}
