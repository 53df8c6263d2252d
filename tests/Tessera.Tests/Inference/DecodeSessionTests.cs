using Tessera.Inference;
using Tessera.Models.VidTok;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

[DisposeScopePerTest]
public sealed class DecodeSessionTests
{
    [Fact]
    public void StreamedCodes_DecodeLikeTheChunkedWholeDecode()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 8 });
        using var scope = NewDisposeScope();
        var x = EncodeSessionTests.Video(22);
        using var whole = tokenizer.Encode(x);
        Assert.True(tokenizer.UsesChunking(22));
        var expected = tokenizer.Decode(whole);

        using var encode = tokenizer.StartEncode();
        var (codes, _) = EncodeSessionTests.Stream(encode, x, [1, 3, 7, 2, 9]);
        using var decode = tokenizer.StartDecode();
        var frames = new List<Tensor>();
        foreach (var code in codes)
        {
            decode.Push(code);
            if (decode.Pull() is { } y) frames.Add(y);
        }
        var beforeComplete = frames.Count;
        decode.Complete();
        if (decode.Pull() is { } last) frames.Add(last);

        Assert.True(beforeComplete >= 2, $"only {beforeComplete} pieces of video came out before the stream ended");
        var video = cat(frames, 2);
        Assert.Equal(expected.shape, video.shape);
        var diff = (video - expected).abs().max().item<float>();
        Assert.True(diff < 1e-6, $"streamed frames differ from the chunked whole decode by {diff}");
        foreach (var c in codes) c.Dispose();
    }

    [Fact]
    public void LeadingFramesAfterTheFirstCode_AreRefused()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 4 });
        using var scope = NewDisposeScope();
        using var code = tokenizer.Encode(EncodeSessionTests.Video(5));
        Assert.True(code.LeadingFrames > 0);
        using var session = tokenizer.StartDecode();
        session.Push(code);
        var e = Assert.Throws<InvalidInputException>(() => session.Push(code));
        Assert.Contains("leading frames", e.Message);
    }

    [Fact]
    public void Sessions_LeaveNoLiveTensors()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 4 });
        using var x = EncodeSessionTests.Video(13);
        void RoundTrip()
        {
            using var encode = tokenizer.StartEncode();
            using var decode = tokenizer.StartDecode();
            var (codes, _) = EncodeSessionTests.Stream(encode, x, [2, 5, 6]);
            foreach (var c in codes)
            {
                decode.Push(c);
                c.Dispose();
                decode.Pull()?.Dispose();
            }
            decode.Complete();
            decode.Pull()?.Dispose();
        }
        RoundTrip(); // warm-up: lazily created tensors are not counted
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        RoundTrip();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
