using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Tests.Video;

/// <summary>Every bad input fails with <see cref="InvalidVideoException"/> naming the file; failed writes leave nothing behind.</summary>
[DisposeScopePerTest]
public sealed class ErrorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static InvalidVideoException ReadFails(string path, ReadOptions? options = null, string? mentions = null)
    {
        var e = Assert.Throws<InvalidVideoException>(() => VideoReader.Read(path, options).Dispose());
        Assert.Contains(Path.GetFileName(path.TrimEnd('/')), e.Message);
        if (mentions is not null) Assert.Contains(mentions, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    private string Mp4(string name, int frames, bool faststart)
    {
        var path = _dir.File(name);
        var args = new List<string> { "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=30", "-frames:v", frames.ToString(),
            "-c:v", "libx264", "-pix_fmt", "yuv420p" };
        if (faststart) args.AddRange(["-movflags", "+faststart"]);
        args.Add(path);
        TestMedia.Ffmpeg([.. args]);
        return path;
    }

    private static string CutInHalf(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var cut = Path.Combine(Path.GetDirectoryName(path)!, "half-" + Path.GetFileName(path));
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        return cut;
    }

    [Fact]
    public void Missing_file() => ReadFails(_dir.File("nope.mp4"), mentions: "not found");

    [Fact]
    public void Missing_directory() => ReadFails(_dir.File("no-frames") + "/", mentions: "not found");

    [Fact]
    public void Garbage_bytes_named_mp4()
    {
        var path = _dir.File("x.mp4");
        File.WriteAllBytes(path, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray());
        ReadFails(path, mentions: "not a readable video");
    }

    [Fact]
    public void Empty_file()
    {
        var path = _dir.File("empty.mkv");
        File.WriteAllBytes(path, []);
        ReadFails(path);
    }

    [Fact]
    public void Truncated_mp4_with_index_at_the_end_is_unreadable() =>
        ReadFails(CutInHalf(Mp4("end.mp4", 30, faststart: false)), mentions: "not a readable video");

    [Fact]
    public void Truncated_mp4_with_index_first_is_reported()
    {
        var half = CutInHalf(Mp4("fast.mp4", 30, faststart: true));
        ReadFails(half, mentions: "truncated");

        using var partial = VideoReader.Read(half, new ReadOptions { AllowDecodeErrors = true });
        Assert.InRange(partial.FrameCount, 1, 29);
        Assert.Equal(30L, partial.Source!.FrameCount);
        Assert.Contains(partial.Warnings, w => w.Contains("half-fast.mp4") && w.Contains("truncated"));
    }

    [Fact]
    public void Audio_only_file() 
    {
        var path = _dir.File("tone.wav");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=0.2", path);
        ReadFails(path, mentions: "no video stream");
    }

    [Fact]
    public void Empty_frame_directory()
    {
        var dir = _dir.File("empty-frames");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "readme.txt"), "not a frame");
        ReadFails(dir, mentions: "no images");
    }

    [Fact]
    public void Frame_directory_with_mismatched_sizes_names_the_odd_file()
    {
        var dir = _dir.File("mixed");
        Directory.CreateDirectory(dir);
        using (var a = TestMedia.SmoothClip(1, 8, 8)) VideoWriter.Write(Path.Combine(dir, "f1.png"), a);
        using (var b = TestMedia.SmoothClip(1, 8, 10)) VideoWriter.Write(Path.Combine(dir, "f2.png"), b);
        var e = ReadFails(dir, mentions: "10x8");
        Assert.Contains("f2.png", e.Message);
    }

    [Fact]
    public void Corrupt_image()
    {
        var path = _dir.File("broken.png");
        File.WriteAllBytes(path, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        ReadFails(path);
    }

    [Fact]
    public void Start_past_the_end_gives_no_frames()
    {
        var path = _dir.File("short.mkv");
        using (var clip = TestMedia.IndexClip(5)) VideoWriter.Write(path, clip);
        ReadFails(path, new ReadOptions { Start = 10 }, mentions: "no frames");
        var dir = _dir.File("short-frames/");
        using (var clip = TestMedia.IndexClip(5)) VideoWriter.Write(dir, clip);
        ReadFails(dir, new ReadOptions { Start = 10 }, mentions: "no frames");
    }

    [Fact]
    public void Bad_options_name_the_file()
    {
        var path = _dir.File("any.mp4");
        ReadFails(path, new ReadOptions { Fps = 0 });
        ReadFails(path, new ReadOptions { FrameCount = 0 });
        ReadFails(path, new ReadOptions { Size = (0, 4) });
        ReadFails(path, new ReadOptions { Start = -1 });
    }

    [Fact]
    public void Missing_ffmpeg_says_how_to_install()
    {
        var e = Assert.Throws<InvalidVideoException>(() =>
            FFmpegProcess.Run("/nonexistent/ffmpeg-for-tessera-tests", ["-version"], "clip.mp4"));
        Assert.Contains("clip.mp4", e.Message);
        Assert.Contains("apt-get install ffmpeg", e.Message);
    }

    [Fact]
    public void Failed_h264_write_leaves_nothing_and_keeps_the_old_file()
    {
        var path = _dir.File("out.mp4");
        File.WriteAllText(path, "previous");
        using var clip = TestMedia.SmoothClip(2, 16, 16);
        var e = Assert.Throws<InvalidVideoException>(() => VideoWriter.Write(path, clip, new WriteOptions { Preset = "no-such-preset" }));
        Assert.Contains("out.mp4", e.Message);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal(["out.mp4"], _dir.Entries());
    }

    [Fact]
    public void Unsupported_or_inconsistent_outputs_fail_before_writing()
    {
        using var clip = TestMedia.SmoothClip(2, 16, 16);
        Assert.Contains("x.webm", Assert.Throws<InvalidVideoException>(() => VideoWriter.Write(_dir.File("x.webm"), clip)).Message);
        Assert.Contains("x.mp4", Assert.Throws<InvalidVideoException>(() =>
            VideoWriter.Write(_dir.File("x.mp4"), clip, new WriteOptions { Lossless = true })).Message);
        Assert.Contains("two.png", Assert.Throws<InvalidVideoException>(() => VideoWriter.Write(_dir.File("two.png"), clip)).Message);
        Assert.Contains("bad.mp4", Assert.Throws<InvalidVideoException>(() =>
            VideoWriter.Write(_dir.File("bad.mp4"), clip, new WriteOptions { Crf = 99 })).Message);
        Assert.Empty(_dir.Entries());
    }

    [Fact]
    public void Writing_frames_into_a_non_empty_directory_fails_and_leaves_it_alone()
    {
        var dir = _dir.File("taken");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "keep.txt"), "mine");
        using var clip = TestMedia.SmoothClip(2, 8, 8);
        var e = Assert.Throws<InvalidVideoException>(() => VideoWriter.Write(dir, clip));
        Assert.Contains("taken", e.Message);
        Assert.Equal(["keep.txt"], Directory.GetFiles(dir).Select(Path.GetFileName));
        Assert.Equal(["taken"], _dir.Entries());
    }

    [Fact]
    public void Mkv_defaults_to_lossless_and_h264_can_be_forced()
    {
        using var scope = NewDisposeScope();
        using var clip = TestMedia.SmoothClip(2, 16, 16);
        Assert.Equal(VideoCodec.Ffv1, VideoWriter.ChooseCodec("a.mkv", ".mkv", WriteOptions.Default));
        Assert.Equal(VideoCodec.H264, VideoWriter.ChooseCodec("a.mov", ".mov", WriteOptions.Default));
        var path = _dir.File("h264.mkv");
        VideoWriter.Write(path, clip, new WriteOptions { Codec = VideoCodec.H264 });
        using var back = VideoReader.Read(path);
        Assert.True(TestMedia.Psnr(clip.Frames, back.Frames) > 30);
    }
}
