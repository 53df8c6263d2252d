using Tessera.Inference;
using Tessera.Models.VidTok;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

/// <summary>
/// Causal v1.0 streams with exact caches (zeros in front of the first chunk, the previous chunk's frames after it, no
/// look-ahead): frames pushed in irregular pieces give the ids of one whole-clip pass and latents within 1e-5, and codes
/// pushed in irregular pieces decode to the whole-clip frames within 1e-4. Tiny models with every parameter re-drawn
/// (the library zero-initialises temporal conv2 and starts norms at identity, which would hide those paths); batch 2,
/// non-square frames.
/// </summary>
[DisposeScopePerTest]
public sealed class CausalV10StreamingTests(ITestOutputHelper log)
{
    private const int Chunk = 8;

    /// <summary>A tiny v1.0 model with every parameter drawn from <paramref name="seed"/>, as the reference goldens redraw theirs.</summary>
    internal static VidTokModel Redrawn(bool fsq, int seed = 5)
    {
        var model = TinyModels.Model(VidTokFamily.CausalV1_0, fsq);
        using var g = new Generator((ulong)seed);
        using var grad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            using var scope = NewDisposeScope();
            var u = rand(p.shape, generator: g);
            var n = randn(p.shape, generator: g);
            if (name.EndsWith("mix_factor", StringComparison.Ordinal)) p.copy_(u * 4 - 2);
            else if (p.dim() > 1) p.copy_((u * 2 - 1) / Math.Sqrt(p.numel() / p.shape[0]));
            else if (name.Contains("norm", StringComparison.Ordinal)) p.copy_(name.EndsWith("weight", StringComparison.Ordinal) ? n * 0.1 + 1 : n * 0.1);
            else p.copy_((u * 2 - 1) * 0.1);
        }
        return model;
    }

    internal static Tensor Video(int frames, int seed = 7) =>
        rand(new long[] { 2, 3, frames, 24, 40 }, generator: new Generator((ulong)seed)) * 2 - 1;

    [Theory]
    [InlineData(33, new[] { 1, 3, 7, 2, 9, 11 })]   // 1 + 4·8: whole chunks after frame 0
    [InlineData(30, new[] { 2, 9, 1, 13, 5 })]      // padded with the last frame to 33, as the pad policy pads a whole clip
    public void IrregularPieces_GiveTheIdsOfOneWholeClipPass(int frames, int[] pieces)
    {
        using var model = Redrawn(fsq: true);
        using var streaming = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = Chunk });
        using var wholeClip = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = 0 });
        using var scope = NewDisposeScope();
        var x = Video(frames);
        using var whole = (TokenIds)wholeClip.Encode(x);
        using var session = streaming.StartEncode();
        var (codes, beforeComplete) = EncodeSessionTests.Stream(session, x, pieces);

        Assert.True(beforeComplete >= 3, $"only {beforeComplete} codes came out before the stream ended");
        var ids = cat(codes.Select(c => ((TokenIds)c).Ids).ToArray(), 1);
        Assert.Equal(whole.Ids.shape, ids.shape);
        Assert.Equal(0L, whole.Ids.ne(ids).sum().item<long>());
        Assert.Equal(whole.Frames, codes.Sum(c => c.Frames));
        Assert.All(codes, c => Assert.Equal(0, c.LeadingFrames));

        // The facade's long-video path chunks v1.0 the same way.
        Assert.True(streaming.UsesChunking(frames));
        using var chunked = (TokenIds)streaming.Encode(x);
        Assert.Equal(0L, whole.Ids.ne(chunked.Ids).sum().item<long>());
        foreach (var c in codes) c.Dispose();
    }

    [Fact]
    public void IrregularPieces_GiveTheLatentsOfOneWholeClipPass()
    {
        using var model = Redrawn(fsq: false);
        using var streaming = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = Chunk });
        using var wholeClip = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = 0 });
        using var scope = NewDisposeScope();
        var x = Video(33);
        using var whole = (Latents)wholeClip.Encode(x);
        using var session = streaming.StartEncode();
        var (codes, _) = EncodeSessionTests.Stream(session, x, [1, 3, 7, 2, 9, 11]);

        var z = cat(codes.Select(c => ((Latents)c).Values).ToArray(), 2);
        Assert.Equal(whole.Values.shape, z.shape);
        var diff = (z - whole.Values).abs().max().item<float>();
        log.WriteLine($"v1.0 KL streamed latents vs one whole-clip pass: max |diff| {diff:E2}");
        Assert.True(diff < 1e-5, $"streamed latents differ from one whole-clip pass by {diff}");
        foreach (var c in codes) c.Dispose();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CodesInIrregularPieces_DecodeToTheWholeClipFrames(bool fsq)
    {
        using var model = Redrawn(fsq);
        using var streaming = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = Chunk });
        using var wholeClip = new VideoTokenizer(model, new TokenizerOptions { TemporalChunk = 0 });
        using var scope = NewDisposeScope();
        using var code = wholeClip.Encode(Video(33));
        Assert.Equal(9L, code.GridSize.Time);
        var expected = wholeClip.Decode(code);

        using var session = streaming.StartDecode();
        var frames = new List<Tensor>();
        foreach (var piece in Pieces(code, [1, 2, 4, 1, 1]))
        {
            session.Push(piece);
            piece.Dispose();
            if (session.Pull() is { } y) frames.Add(y);
        }
        var beforeComplete = frames.Count;
        session.Complete();
        if (session.Pull() is { } last) frames.Add(last);

        // No look-ahead: every chunk is decoded as soon as its latents are in.
        Assert.True(beforeComplete >= 3, $"only {beforeComplete} pieces of video came out before the stream ended");
        var video = cat(frames, 2);
        Assert.Equal(expected.shape, video.shape);
        var diff = (video - expected).abs().max().item<float>();
        log.WriteLine($"v1.0 {(fsq ? "FSQ" : "KL")} streamed decode vs one whole-clip decode: max |diff| {diff:E2}");
        Assert.True(diff < 1e-4, $"streamed frames differ from one whole-clip decode by {diff}");

        Assert.True(streaming.UsesChunking(code.Frames));
        var chunked = streaming.Decode(code);
        var chunkedDiff = (chunked - expected).abs().max().item<float>();
        log.WriteLine($"v1.0 {(fsq ? "FSQ" : "KL")} facade chunked decode vs one whole-clip decode: max |diff| {chunkedDiff:E2}");
        Assert.True(chunkedDiff < 1e-4, $"the facade's chunked decode differs from one whole-clip decode by {chunkedDiff}");
    }

    /// <summary>A v1.0 code cut along latent time: the first piece's first latent gives 1 frame, every other latent 4.</summary>
    private static IEnumerable<VideoCode> Pieces(VideoCode code, int[] latents)
    {
        var factor = code.Card.Compression.Time;
        var start = 0;
        foreach (var n in latents)
        {
            var end = start + n;
            var frames = start == 0 ? factor * (end - 1) + 1 : factor * n;
            yield return code switch
            {
                TokenIds ids => new TokenIds(ids.Ids[.., start..end], code.Config, frames),
                Latents l => new Latents(l.Values[.., .., start..end], code.Config, frames),
                _ => throw new ArgumentException("unknown code type", nameof(code)),
            };
            start = end;
        }
        Assert.Equal(code.GridSize.Time, start);
    }
}
