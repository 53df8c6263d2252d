using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Video;
using Tessera.Video;

namespace Tessera.Tests.Cli;

/// <summary>A real encoded video through the command line with a v1.1 model long enough to be chunked.</summary>
[DisposeScopePerTest]
public sealed class VideoFileCliTests
{
    [Fact]
    public void EncodeDecode_Mp4_WithResizeAndFps_RoundTripsFrameCount()
    {
        using var dir = new TempDir();
        var model = dir.File("tiny.safetensors");
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_1)) VidTokWeights.Save(model, m);
        var input = dir.File("input.mp4");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=24:duration=2", "-pix_fmt", "yuv420p", input);

        var tokens = dir.File("tokens.safetensors");
        var encode = CliRunner.Run("encode", input, "-m", model, "-o", tokens, "--fps", "12", "--size", "32", "--chunk", "8");
        Assert.True(encode.ExitCode == 0, encode.Error);
        Assert.Contains("24 frames", encode.Out);   // 48 frames at 24 fps sampled every 2nd frame

        var output = dir.File("out.mkv");
        var decode = CliRunner.Run("decode", tokens, "-o", output);
        Assert.True(decode.ExitCode == 0, decode.Error);
        using var clip = VideoReader.Read(output);
        Assert.Equal(24, clip.FrameCount);
        Assert.Equal((32, 32), (clip.Height, clip.Width));
        Assert.Equal(12.0, clip.Fps, 3);
    }

    [Fact]
    public void Reconstruct_AndEncodeDecode_KeepASizeThatIsNotAMultipleOfTheModels()
    {
        using var dir = new TempDir();
        var model = dir.File("tiny.safetensors");
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_1)) VidTokWeights.Save(model, m);
        var input = dir.File("input.mkv");
        // 44x30: neither side a multiple of 8; lossless, so the frames read are the frames written.
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=44x30:rate=8:duration=1", "-c:v", "ffv1", "-pix_fmt", "bgr0", input);

        var reconstruction = dir.File("rec.mkv");
        var r = CliRunner.Run("reconstruct", input, "-m", model, "-o", reconstruction);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("PSNR", r.Out);
        using (var clip = VideoReader.Read(reconstruction))
            Assert.Equal((30, 44, 8), (clip.Height, clip.Width, clip.FrameCount));

        var tokens = dir.File("t.safetensors");
        var encode = CliRunner.Run("encode", input, "-m", model, "-o", tokens);
        Assert.True(encode.ExitCode == 0, encode.Error);
        Assert.Equal("30x44", Tessera.Checkpoints.SafeTensorsFile.ReadHeader(tokens).Metadata["frame_size"]);
        var decoded = dir.File("dec.mkv");
        var decode = CliRunner.Run("decode", tokens, "-o", decoded);
        Assert.True(decode.ExitCode == 0, decode.Error);
        using var back = VideoReader.Read(decoded);
        Assert.Equal((30, 44, 8), (back.Height, back.Width, back.FrameCount));
    }
}
