using System.Globalization;
using Tessera.Cli;
using Tessera.Inference;
using Tessera.Metrics;
using Tessera.Models.VidTok;
using Tessera.Tests.Cli;
using Tessera.Tests.Video;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

/// <summary>
/// The memory-lean path: 8-bit frames converted to float tile by tile inside the encoder (<see cref="ByteFrames"/>), and
/// reconstruct's metrics and output frame by frame, give what the whole-float path gave: the same ids and latents, and
/// the same 8-bit frames and figures.
/// </summary>
[DisposeScopePerTest]
public sealed class ByteFramesTests
{
    // Random 8-bit RGB frames [T, H, W, 3].
    private static Tensor Frames(int frames, int size, int seed = 11) =>
        randint(0, 256, [frames, size, size, 3], generator: new Generator((ulong)seed)).to_type(ScalarType.Byte);

    [Theory]
    [InlineData(true, 0, false)]    // whole clip, untiled
    [InlineData(true, 0, true)]     // whole clip, 4 tiles
    [InlineData(true, 4, true)]     // chunked and tiled
    [InlineData(false, 4, true)]    // KL latents, chunked and tiled
    [InlineData(false, 0, false)]
    public void EncodeFrames_EqualsEncodeOfTheFloatClip(bool fsq, int chunk, bool tiled)
    {
        using var model = TinyModels.Model(VidTokFamily.CausalV1_1, fsq);
        var options = new TokenizerOptions { TemporalChunk = chunk, Tile = tiled ? new TileSize(32, 32, 16) : null };
        using var tokenizer = new VideoTokenizer(model, options);
        using var scope = NewDisposeScope();
        var bytes = Frames(14, 48);
        using var floats = tokenizer.Encode(VideoClip.ToModelInput(bytes));
        using var lean = tokenizer.EncodeFrames(bytes);
        AssertSameCode(floats, lean);
        Assert.True(TestMedia.Equal(tokenizer.Decode(floats), tokenizer.Decode(lean)), "decoded frames differ");
    }

    [Fact]
    public void PushFrames_EqualsPushOfTheFloatFrames_TiledAndChunked()
    {
        using var model = TinyModels.Model(VidTokFamily.CausalV1_1);
        using var tokenizer = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = 4, Tile = new TileSize(32, 32, 16) });
        using var scope = NewDisposeScope();
        var bytes = Frames(14, 48, seed: 4);
        using var floatSession = tokenizer.StartEncode();
        using var byteSession = tokenizer.StartEncode();
        var start = 0;
        foreach (var n in new[] { 2, 5, 1, 6 })
        {
            var piece = bytes[start..(start + n)];
            floatSession.Push(VideoClip.ToModelInput(piece));
            byteSession.PushFrames(piece);
            start += n;
        }
        floatSession.Complete();
        byteSession.Complete();
        using var a = floatSession.Pull()!;
        using var b = byteSession.Pull()!;
        AssertSameCode(a, b);
        Assert.Throws<InvalidOperationException>(() => byteSession.PushFrames(bytes[..1]));
    }

    [Fact]
    public void PushFrames_AfterFloatFrames_IsRefused()
    {
        using var model = TinyModels.Model(VidTokFamily.CausalV1_1);
        using var tokenizer = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = 4 });
        using var scope = NewDisposeScope();
        var bytes = Frames(3, 32);
        using var session = tokenizer.StartEncode();
        session.Push(VideoClip.ToModelInput(bytes[..1]));
        var e = Assert.Throws<InvalidInputException>(() => session.PushFrames(bytes[1..]));
        Assert.Contains("not both", e.Message);
    }

    /// <summary>
    /// reconstruct of a short clip (the whole-clip path), tiled: the written 8-bit frames are bit for bit, and PSNR and
    /// SSIM as printed equal, what the previous path computed on whole float tensors (float input, one decode, metrics
    /// and the written clip from the whole output).
    /// </summary>
    [Fact]
    public void Reconstruct_WritesAndPrintsWhatTheWholeFloatPathGave()
    {
        using var dir = new TempDir();
        var modelPath = dir.File("tiny.safetensors");
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_1)) VidTokWeights.Save(modelPath, m);
        var input = dir.File("input.mkv");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=48x48:rate=8", "-frames:v", "9", "-c:v", "ffv1", input);
        var output = dir.File("out.mkv");
        var r = CliRunner.Run("reconstruct", input, "-m", modelPath, "-o", output, "--tile", "32", "--tile-overlap", "16");
        Assert.True(r.ExitCode == 0, r.Error);

        using var model = TinyModels.Model(VidTokFamily.CausalV1_1);
        using var tokenizer = new VideoTokenizer(model, new TokenizerOptions { Tile = new TileSize(32, 32, 16) });
        using var scope = NewDisposeScope();
        using var clip = VideoReader.Read(input);
        var x = clip.ToModelInput();
        using var code = tokenizer.Encode(x);
        var y = tokenizer.Decode(code);
        var psnr = Psnr.PerFrame(x, y).Average();
        var ssim = Ssim.PerFrame(x, y).Average();
        using var expected = VideoClip.FromModelOutput(y, clip.Fps);
        using var written = VideoReader.Read(output);
        Assert.True(TestMedia.Equal(expected.Frames, written.Frames), "the reconstruction differs from the whole-float path's");
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"PSNR         {psnr:0.00} dB"), r.Out);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"SSIM         {ssim:0.0000}"), r.Out);
    }

    private static void AssertSameCode(VideoCode a, VideoCode b)
    {
        Assert.Equal(a.Frames, b.Frames);
        Assert.Equal(a.LeadingFrames, b.LeadingFrames);
        switch (a, b)
        {
            case (TokenIds x, TokenIds y):
                Assert.True(TestMedia.Equal(x.Ids, y.Ids), "token ids differ");
                break;
            case (Latents x, Latents y):
                var diff = (x.Values - y.Values).abs().max().item<float>();
                Assert.True(diff == 0, $"latents differ by {diff}");
                break;
            default:
                Assert.Fail($"codes of different kinds: {a.GetType().Name}, {b.GetType().Name}");
                break;
        }
    }
}
