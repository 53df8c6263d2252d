using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

/// <summary>The plain-array entry points equal the tensor path bit for bit.</summary>
[DisposeScopePerTest]
public sealed class Rgb24Tests
{
    private static byte[] Frames(int count, int height, int width)
    {
        var bytes = new byte[count * height * width * 3];
        new Random(5).NextBytes(bytes);
        return bytes;
    }

    [Theory]
    [InlineData(VidTokFamily.CausalV1_1, 9)]
    [InlineData(VidTokFamily.CausalV1_1, 20)]   // chunked at 8, padded to 21
    [InlineData(VidTokFamily.NonCausal, 8)]
    public void EncodeAndDecode_EqualTheTensorPath(object familyValue, int frames)
    {
        var family = (VidTokFamily)familyValue;
        const int height = 16, width = 24;
        using var tokenizer = new VideoTokenizer(TinyModels.Model(family), new TokenizerOptions { TemporalChunk = 8 });
        var rgb = Frames(frames, height, width);

        var tokens = tokenizer.EncodeRgb24(rgb, frames, height, width);

        using var scope = NewDisposeScope();
        using var clip = new VideoClip(tensor(rgb, [frames, height, width, 3], ScalarType.Byte), 1);
        using var code = (TokenIds)tokenizer.Encode(tokenizer.Card.Range.FromSigned(clip.ToModelInput()));
        Assert.Equal(code.Ids[0].shape.Select(d => (int)d), tokens.Shape);
        Assert.Equal(code.Ids[0].contiguous().data<int>().ToArray(), tokens.Ids);
        Assert.Equal(code.Frames, tokens.Frames);
        Assert.Equal(code.LeadingFrames, tokens.LeadingFrames);

        var pixels = tokenizer.DecodeToRgb24(tokens);
        using var decoded = VideoClip.FromModelOutput(tokenizer.Card.Range.ToSigned(tokenizer.Decode(code)), 1);
        Assert.Equal(frames * height * width * 3, pixels.Length);
        Assert.Equal(decoded.Frames.data<byte>().ToArray(), pixels);
    }

    [Fact]
    public void WrongByteCount_IsRefusedWithTheSizes()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1));
        var e = Assert.Throws<InvalidInputException>(() => tokenizer.EncodeRgb24(new byte[100], 1, 16, 16));
        Assert.Contains("768 bytes", e.Message);
    }

    [Fact]
    public void ContinuousModel_IsRefused()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1, fsq: false));
        var e = Assert.Throws<InvalidInputException>(() => tokenizer.EncodeRgb24(Frames(1, 16, 16), 1, 16, 16));
        Assert.Contains("continuous", e.Message);
    }

    [Fact]
    public void IdsOutsideTheCodebook_AreRefused()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1));
        var e = Assert.Throws<InvalidInputException>(() => tokenizer.DecodeToRgb24(new TokenArray([0, 1, 2, 4096], [1, 2, 2], 1, 0)));
        Assert.Contains("[0, 4096)", e.Message);
    }
}
