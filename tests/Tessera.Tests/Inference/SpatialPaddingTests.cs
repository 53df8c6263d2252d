using Tessera.Checkpoints;
using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Tokens;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

/// <summary>
/// Frames whose size is not a multiple of the model's (SizePolicy.PadEdges, the default): encoded with their edge pixels
/// repeated up to the multiple, decoded back to their own size, through every path (whole clip, 8-bit frames, sessions,
/// token files, rgb24), exactly as the frames padded by hand and the output cropped by hand.
/// </summary>
[DisposeScopePerTest]
public sealed class SpatialPaddingTests
{
    private const int H = 20, W = 30;   // padded to 24x32 for the tiny models' multiple of 8

    private static Tensor Bytes(int frames, int seed = 3) =>
        randint(0, 256, [frames, H, W, 3], generator: new Generator((ulong)seed)).to_type(ScalarType.Byte);

    // What the policy must equal: the clip padded by hand (last row, then last column, repeated).
    private static Tensor PaddedByHand(Tensor video)
    {
        var rows = cat([video, video[.., .., .., ^1..].expand(-1, -1, -1, 24 - H, -1)], 3);
        return cat([rows, rows[.., .., .., .., ^1..].expand(-1, -1, -1, -1, 32 - W)], 4);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 4)]
    public void Encode_PadsEdges_AndDecodeCropsBack(bool fsq, int chunk)
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1, fsq), new TokenizerOptions { TemporalChunk = chunk });
        using var scope = NewDisposeScope();
        var x = VideoClip.ToModelInput(Bytes(9));
        using var code = tokenizer.Encode(x);
        using var byHand = tokenizer.Encode(PaddedByHand(x));
        Assert.Equal((H, W), code.FrameSize);
        Assert.Null(byHand.FrameSize);
        Assert.Equal(byHand.GridSize, code.GridSize);
        AssertSameCode(byHand, code);

        var y = tokenizer.Decode(code);
        Assert.Equal(new long[] { 1, 3, 9, H, W }, y.shape);
        var full = tokenizer.Decode(byHand);
        Assert.True(y.eq(full[.., .., .., ..H, ..W]).all().item<bool>());

        using var lean = tokenizer.EncodeFrames(Bytes(9));
        Assert.Equal((H, W), lean.FrameSize);
        AssertSameCode(code, lean);
    }

    [Fact]
    public void Refuse_NamesTheMultiple()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { Sizes = SizePolicy.Refuse });
        using var x = VideoClip.ToModelInput(Bytes(5));
        var e = Assert.Throws<InvalidInputException>(() => tokenizer.Encode(x));
        Assert.Contains("divisible by 8", e.Message);
        Assert.Contains("30x20", e.Message);
    }

    [Fact]
    public void Sessions_PadEachPiece_AndCropEachPull_AsOneCall()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 4 });
        using var scope = NewDisposeScope();
        var bytes = Bytes(14);
        using var whole = tokenizer.EncodeFrames(bytes);
        var expected = tokenizer.Decode(whole);

        using var encode = tokenizer.StartEncode();
        using var decode = tokenizer.StartDecode();
        var pulled = new List<Tensor>();
        foreach (var (start, length) in new[] { (0, 3), (3, 6), (9, 5) })
        {
            encode.PushFrames(bytes.narrow(0, start, length));
            while (encode.Pull() is { } c)
                using (c)
                {
                    Assert.Equal((H, W), c.FrameSize);
                    decode.Push(c);
                }
            while (decode.Pull() is { } f) pulled.Add(f);
        }
        encode.Complete();
        while (encode.Pull() is { } c) using (c) decode.Push(c);
        decode.Complete();
        while (decode.Pull() is { } f) pulled.Add(f);
        var streamed = cat(pulled, 2);
        Assert.Equal(expected.shape, streamed.shape);
        Assert.True(streamed.allclose(expected, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void DecodeSession_RefusesCodesOfAnotherFrameSize()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 4 });
        using var scope = NewDisposeScope();
        using var a = tokenizer.EncodeFrames(Bytes(5));
        using var b = tokenizer.Encode(VideoClip.ToModelInput(randint(0, 256, [4, 24, 32, 3]).to_type(ScalarType.Byte)));
        using var decode = tokenizer.StartDecode();
        decode.Push(a);
        var e = Assert.Throws<InvalidInputException>(() => decode.Push(b));
        Assert.Contains("frame size", e.Message);
    }

    [Fact]
    public void TokenFile_KeepsTheFrameSize_AndRefusesOneThatDoesNotFitTheGrid()
    {
        using var dir = new TempDir();
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1));
        using var scope = NewDisposeScope();
        using var code = tokenizer.EncodeFrames(Bytes(5));
        var path = dir.File("t.safetensors");
        TokenFile.Save(path, code, new TokenFileInfo());
        var (loaded, _) = TokenFile.Load(path);
        using (loaded)
        {
            Assert.Equal((H, W), loaded.FrameSize);
            Assert.Equal(new long[] { 1, 3, 5, H, W }, tokenizer.Decode(loaded).shape);
        }

        using var raw = SafeTensorsFile.Load(path);
        foreach (var bad in new[] { "16x30", "20x33", "0x30", "20", "20xabc" })
        {
            var meta = raw.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
            meta["frame_size"] = bad;
            var badPath = dir.File($"bad-{bad}.safetensors");
            SafeTensorsFile.Save(badPath, raw, meta);
            var e = Assert.Throws<TokenFileFormatException>(() => TokenFile.Load(badPath).Code.Dispose());
            Assert.Contains("frame_size", e.Message);
            Assert.Contains(badPath, e.Message);
        }
    }

    [Fact]
    public void TokenFileWriter_KeepsTheFrameSizeOfStreamedPieces()
    {
        using var dir = new TempDir();
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 4 });
        using var scope = NewDisposeScope();
        var path = dir.File("s.safetensors");
        using (var writer = new TokenFileWriter(path, tokenizer.Config, new TokenFileInfo()))
        using (var encode = tokenizer.StartEncode())
        {
            encode.PushFrames(Bytes(9));
            encode.Complete();
            while (encode.Pull() is { } c) using (c) writer.Append(c);
            writer.Complete();
        }
        var (loaded, _) = TokenFile.Load(path);
        using (loaded) Assert.Equal((H, W), loaded.FrameSize);
    }

    [Fact]
    public void Rgb24_RoundTripsAtTheFramesOwnSize()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1));
        using var scope = NewDisposeScope();
        var bytes = Bytes(5).contiguous();
        var tokens = tokenizer.EncodeRgb24(bytes.data<byte>().ToArray(), 5, H, W);
        Assert.Equal((H, W), tokens.FrameSize);
        Assert.Equal(5 * H * W * 3, tokenizer.DecodeToRgb24(tokens).Length);
    }

    private static void AssertSameCode(VideoCode expected, VideoCode actual)
    {
        switch (expected)
        {
            case TokenIds ids:
                Assert.True(ids.Ids.eq(Assert.IsType<TokenIds>(actual).Ids).all().item<bool>());
                break;
            case Latents l:
                Assert.True(l.Values.allclose(Assert.IsType<Latents>(actual).Values, rtol: 0, atol: 1e-5));
                break;
        }
    }
}
