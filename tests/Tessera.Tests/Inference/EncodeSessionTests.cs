using Tessera.Inference;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

[DisposeScopePerTest]
public sealed class EncodeSessionTests
{
    internal static Tensor Video(int frames, int size = 32, int seed = 3)
    {
        var g = new Generator((ulong)seed);
        return rand(new long[] { 1, 3, frames, size, size }, generator: g) * 2 - 1;
    }

    /// <summary>Pushes <paramref name="video"/> in pieces of the given lengths, pulling after every push; the codes pulled, and how many came before Complete.</summary>
    internal static (List<VideoCode> Codes, int BeforeComplete) Stream(EncodeSession session, Tensor video, int[] pieces)
    {
        var codes = new List<VideoCode>();
        var start = 0;
        foreach (var n in pieces)
        {
            using (var piece = video[.., .., start..(start + n)]) session.Push(piece);
            start += n;
            if (session.Pull() is { } code) codes.Add(code);
        }
        var before = codes.Count;
        session.Complete();
        if (session.Pull() is { } tail) codes.Add(tail);
        return (codes, before);
    }

    [Fact]
    public void IrregularPieces_GiveTheIdsOfOneCall()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 8 });
        using var scope = NewDisposeScope();
        var x = Video(22); // 1 + 8 + 8 + 5: the tail is padded to 8 frames, as one call pads it
        using var whole = (TokenIds)tokenizer.Encode(x);
        using var session = tokenizer.StartEncode();
        var (codes, beforeComplete) = Stream(session, x, [1, 3, 7, 2, 9]);

        Assert.True(beforeComplete >= 2, $"only {beforeComplete} codes came out before the stream ended");
        var ids = cat(codes.Select(c => ((TokenIds)c).Ids).ToArray(), 1);
        Assert.Equal(whole.Ids.shape, ids.shape);
        Assert.True(whole.Ids.eq(ids).all().item<bool>(), "streamed ids differ from one call's");
        Assert.Equal(whole.Frames, codes.Sum(c => c.Frames));
        Assert.Equal(whole.LeadingFrames, codes[0].LeadingFrames);
        Assert.All(codes.Skip(1), c => Assert.Equal(0, c.LeadingFrames));
        foreach (var c in codes) c.Dispose();
    }

    [Fact]
    public void IrregularPieces_GiveTheLatentsOfOneWholeClipPass()
    {
        using var model = TinyModels.Model(VidTokFamily.CausalV1_1, fsq: false);
        using var streaming = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = 8 });
        using var wholeClip = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = 0 });
        using var scope = NewDisposeScope();
        var x = Video(21); // 1 + 4·5: no padding, so the whole-clip pass sees the same frames
        using var whole = (Latents)wholeClip.Encode(x);
        using var session = streaming.StartEncode();
        var (codes, _) = Stream(session, x, [1, 3, 7, 2, 8]);

        var z = cat(codes.Select(c => ((Latents)c).Values).ToArray(), 2);
        Assert.Equal(whole.Values.shape, z.shape);
        var diff = (z - whole.Values).abs().max().item<float>();
        Assert.True(diff < 1e-5, $"streamed latents differ from one whole-clip pass by {diff}");
        foreach (var c in codes) c.Dispose();
    }

    [Fact]
    public void Rgb24Frames_EncodeLikeTheirTensor()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 4 });
        using var scope = NewDisposeScope();
        var bytes = Video(9).add(1).mul(127.5).to_type(ScalarType.Byte);       // [1, 3, 9, 32, 32]
        var rgb = bytes[0].permute(1, 2, 3, 0).contiguous();                        // [9, 32, 32, 3]
        var x = bytes.to_type(ScalarType.Float32).div(127.5).sub(1);
        using var whole = (TokenIds)tokenizer.Encode(x);
        using var session = tokenizer.StartEncode();
        var data = rgb.data<byte>().ToArray();
        var frameBytes = 32 * 32 * 3;
        session.PushRgb24(data.AsSpan(0, 2 * frameBytes), 32, 32);
        session.PushRgb24(data.AsSpan(2 * frameBytes), 32, 32);
        session.Complete();
        using var code = (TokenIds)session.Pull()!;
        Assert.True(whole.Ids.eq(code.Ids).all().item<bool>());
    }

    [Fact]
    public void ModelsThatDoNotStream_AreRefusedByTheirCard()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.NonCausal));
        var e = Assert.Throws<InvalidInputException>(() => tokenizer.StartEncode());
        Assert.Contains("does not stream", e.Message);
        Assert.Contains("causal v1.0 and causal v1.1", e.Message);
        Assert.Throws<InvalidInputException>(() => tokenizer.StartDecode());
    }

    [Fact]
    public void PiecesOfAnotherSize_AndPushesAfterComplete_AreRefused()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 4 });
        using var scope = NewDisposeScope();
        using var session = tokenizer.StartEncode();
        session.Push(Video(3));
        var e = Assert.Throws<InvalidInputException>(() => session.Push(Video(2, size: 16)));
        Assert.Contains("16x16", e.Message);
        session.Complete();
        Assert.Throws<InvalidOperationException>(() => session.Push(Video(1)));
    }

    [Fact]
    public void RefusePolicy_RefusesAStreamWhoseLengthTheModelDoesNotTake_AsOneCallDoes()
    {
        // Causal v1.0 takes 1 + 4k frames (v1.1 pads any count itself).
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_0), new TokenizerOptions { TemporalChunk = 8, Frames = FramePolicy.Refuse });
        using var scope = NewDisposeScope();
        var call = Assert.Throws<InvalidInputException>(() => tokenizer.Encode(Video(22)));
        using (var session = tokenizer.StartEncode())
        {
            session.Push(Video(22));
            Assert.Equal(call.Message, Assert.Throws<InvalidInputException>(session.Complete).Message);
        }
        using var accepted = tokenizer.StartEncode();
        var (codes, _) = Stream(accepted, Video(17), [5, 12]);
        Assert.Equal(17, codes.Sum(c => c.Frames));
        foreach (var c in codes) c.Dispose();
    }
}
