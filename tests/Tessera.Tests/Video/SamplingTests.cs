using Tessera.Video;

namespace Tessera.Tests.Video;

/// <summary>Fps sampling, seeking and frame limits on a lossless video whose frames encode their index.</summary>
[DisposeScopePerTest]
public sealed class SamplingTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _video;

    public SamplingTests()
    {
        using var clip = TestMedia.IndexClip(30, fps: 30);
        _video = _dir.File("index.mkv");
        VideoWriter.Write(_video, clip);
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(2.5, 2)] // Python round: half to even
    [InlineData(3.5, 4)]
    [InlineData(3.75, 4)]
    [InlineData(0.5, 1)] // never below 1
    public void Interval_follows_vidtok(double ratio, int expected) =>
        Assert.Equal(expected, FrameSampling.Interval(30, 30 / ratio));

    [Fact]
    public void Reads_every_frame_by_default()
    {
        using var clip = VideoReader.Read(_video);
        Assert.Equal(Enumerable.Range(0, 30), TestMedia.Indices(clip));
        Assert.Equal(30, clip.Fps, 6);
    }

    [Fact]
    public void Fps_30_to_10_keeps_every_third_frame()
    {
        using var clip = VideoReader.Read(_video, new ReadOptions { Fps = 10 });
        Assert.Equal([0, 3, 6, 9, 12, 15, 18, 21, 24, 27], TestMedia.Indices(clip));
        Assert.Equal(10, clip.Fps, 6);
    }

    [Fact]
    public void Fps_30_to_8_uses_interval_4()
    {
        using var clip = VideoReader.Read(_video, new ReadOptions { Fps = 8 });
        Assert.Equal([0, 4, 8, 12, 16, 20, 24, 28], TestMedia.Indices(clip));
        Assert.Equal(7.5, clip.Fps, 6);
    }

    [Fact]
    public void Start_seeks_accurately()
    {
        using var clip = VideoReader.Read(_video, new ReadOptions { Start = 0.5 });
        Assert.Equal(Enumerable.Range(15, 15), TestMedia.Indices(clip));
        Assert.Equal(0.5, clip.Source!.Start);
    }

    [Fact]
    public void Decoding_uses_slice_threads_only_so_damaged_streams_decode_the_same_every_time()
    {
        var args = VideoFrameStream.Arguments("/videos/a.mp4", new ReadOptions { Start = 2.5 }, 0, 1);
        var threadType = args.IndexOf("-thread_type");
        Assert.True(threadType >= 0 && args[threadType + 1] == "slice", string.Join(' ', args));
        Assert.True(threadType < args.IndexOf("-i"), "a decoder option must come before the input it applies to");
    }

    [Theory]
    [InlineData(0.5, null, null)]
    [InlineData(0.4, 10.0, 4)]
    [InlineData(0.25, 8.0, null)]
    public void Decoding_from_the_beginning_gives_the_frames_a_seek_gives(double start, double? fps, int? count)
    {
        var options = new ReadOptions { Start = start, Fps = fps, FrameCount = count };
        using var seeked = VideoReader.Read(_video, options);
        using var whole = VideoReader.Read(_video, options with { DecodeFromStart = true });
        Assert.Equal(TestMedia.Indices(seeked), TestMedia.Indices(whole));
        Assert.True(seeked.Frames.equal(whole.Frames).all().item<bool>());
        Assert.DoesNotContain("-ss", VideoFrameStream.Arguments(_video, options with { DecodeFromStart = true }, 0, 3));
    }

    [Fact]
    public void Frame_count_limits_after_sampling()
    {
        using var clip = VideoReader.Read(_video, new ReadOptions { Start = 0.2, Fps = 10, FrameCount = 3 });
        Assert.Equal([6, 9, 12], TestMedia.Indices(clip));
    }

    [Fact]
    public void Frame_count_larger_than_video_keeps_all()
    {
        using var clip = VideoReader.Read(_video, new ReadOptions { FrameCount = 100 });
        Assert.Equal(30, clip.FrameCount);
        Assert.Empty(clip.Warnings);
    }

    [Fact]
    public void Small_batches_give_the_same_frames()
    {
        using var a = VideoReader.Read(_video, new ReadOptions { Size = (8, 8), BatchFrames = 1 });
        using var b = VideoReader.Read(_video, new ReadOptions { Size = (8, 8), BatchFrames = 7 });
        Assert.True(TestMedia.Equal(a.Frames, b.Frames));
        Assert.Equal([30L, 8, 8, 3], a.Frames.shape);
    }

    [Fact]
    public void Frame_directory_sampling_and_start()
    {
        using var clip = TestMedia.IndexClip(20);
        var dir = _dir.File("frames/");
        VideoWriter.Write(dir, clip);
        using var back = VideoReader.Read(dir, new ReadOptions { Start = 0.1, Fps = 15, FrameCount = 4 });
        Assert.Equal([3, 5, 7, 9], TestMedia.Indices(back));
        Assert.Equal(15, back.Fps);
    }
}
