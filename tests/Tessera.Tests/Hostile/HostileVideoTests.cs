using System.Text;
using Tessera.Evaluation;
using Tessera.Video;

namespace Tessera.Tests.Hostile;

/// <summary>Video and image inputs whose headers ask for huge frames: refused before any frame buffer is allocated.</summary>
[DisposeScopePerTest]
public sealed class HostileVideoTests
{
    [Fact]
    public void TallThinPng_WithShortSideResize_IsRefusedBeforeResizing()
    {
        using var dir = new TempDir();
        var p = dir.File("thin.png");
        File.WriteAllBytes(p, Png.Encode(new byte[16384 * 3], 1, 16384));
        var e = Assert.Throws<InvalidVideoException>(() => VideoReader.Read(p, new ReadOptions { Size = (256, 256) }));
        Assert.Contains(p, e.Message);
        Assert.Contains("limit", e.Message);
    }

    [Fact]
    public void Y4mDeclaring8192Square_IsRefusedWithoutAStackTrace()
    {
        using var dir = new TempDir();
        var p = dir.File("huge.y4m");
        File.WriteAllBytes(p, Encoding.ASCII.GetBytes("YUV4MPEG2 W8192 H8192 F30:1 Ip A1:1 C420jpeg\nFRAME\n").Concat(new byte[4096]).ToArray());
        var e = Assert.ThrowsAny<TesseraException>(() => VideoReader.Read(p, new ReadOptions()));
        Assert.Contains(p, e.Message);
    }

    [Fact]
    public void RotateTagOfIntMinValue_DoesNotOverflow()
    {
        const string json = """{"streams":[{"index":0,"codec_type":"video","width":64,"height":32,"avg_frame_rate":"30/1","tags":{"rotate":"-2147483648"}}]}""";
        var info = StreamInfo.Parse("rot.mp4", json);
        Assert.Equal((64, 32), (info.Width, info.Height));
    }

    [Fact]
    public void FrameSizeBeyondInt32_IsAMessage()
    {
        const string json = """{"streams":[{"index":0,"codec_type":"video","width":99999999999,"height":32,"avg_frame_rate":"30/1"}]}""";
        var e = Assert.Throws<InvalidVideoException>(() => StreamInfo.Parse("wide.mp4", json));
        Assert.Contains("wide.mp4", e.Message);
    }
}
