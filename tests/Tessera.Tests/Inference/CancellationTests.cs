using Tessera.Inference;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

/// <summary>Cancelling a long encode or decode: it stops at the next block, throws, and reports nothing after the cancel.</summary>
[DisposeScopePerTest]
public sealed class CancellationTests
{
    // 33 frames at chunk 8: chunks [0,1), [1,9), [9,17), [17,25), [25,33): five chunks.
    private const int Frames = 33;

    private static Tensor Video(int frames)
    {
        using var g = new Generator(3);
        return rand(new long[] { 1, 3, frames, 16, 16 }, generator: g).mul_(2).sub_(1);
    }

    /// <summary>Cancels its source on the first report of chunk 2 of <paramref name="stage"/>, and counts every report it receives.</summary>
    private sealed class CancelAtSecondChunk(CancellationTokenSource source, string stage = "encode") : IProgress<ChunkProgress>
    {
        public int Reports { get; private set; }
        public int ReportsAfterCancel { get; private set; }
        public ChunkProgress Last { get; private set; }

        public void Report(ChunkProgress value)
        {
            if (source.IsCancellationRequested) ReportsAfterCancel++;
            Reports++;
            Last = value;
            if (value.Stage == stage && value.Chunk == 2) source.Cancel();
        }
    }

    [Fact]
    public void Encode_CancelledAfterTheFirstChunk_ThrowsAtTheNextBlock()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new CancelAtSecondChunk(cancel);
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 8, Progress = progress });
        using var x = Video(Frames);

        Assert.Throws<OperationCanceledException>(() => tokenizer.Encode(x, cancel.Token));
        Assert.Equal(0, progress.ReportsAfterCancel);
        Assert.Equal(2, progress.Last.Chunk);
        Assert.Equal(5, progress.Last.Chunks);
        Assert.True(progress.Last.Done < progress.Last.Total, $"stopped at {progress.Last.Done} of {progress.Last.Total} blocks");

        // The tokenizer is unharmed: the same call without cancellation completes.
        using var code = tokenizer.Encode(x);
        Assert.Equal(Frames, code.Frames);
    }

    [Fact]
    public void Decode_CancelledAfterTheFirstChunk_ThrowsAtTheNextBlock()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new CancelAtSecondChunk(cancel, "decode");
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 8, Progress = progress });
        using var x = Video(Frames);
        using var code = tokenizer.Encode(x, cancel.Token);

        Assert.Throws<OperationCanceledException>(() => tokenizer.Decode(code, cancel.Token));
        Assert.Equal(0, progress.ReportsAfterCancel);
        Assert.Equal("decode", progress.Last.Stage);
        Assert.Equal(2, progress.Last.Chunk);
    }

    [Fact]
    public void AlreadyCancelledToken_ThrowsBeforeAnyWork()
    {
        var reports = 0;
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1),
            new TokenizerOptions { Progress = new Progress(_ => reports++) });
        using var x = Video(5);
        Assert.Throws<OperationCanceledException>(() => tokenizer.Encode(x, new CancellationToken(canceled: true)));
        Assert.Equal(0, reports);
    }

    [Fact]
    public void EncodeSession_CancelledMidStream_RefusesFurtherPieces()
    {
        using var tokenizer = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 8 });
        using var x = Video(Frames);
        using var cancel = new CancellationTokenSource();
        using var session = tokenizer.StartEncode(Frames, cancel.Token);
        session.Push(x[.., .., ..9]);
        Assert.NotNull(session.Pull());
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => session.Push(x[.., .., 9..]));
        Assert.Throws<OperationCanceledException>(() => session.Complete());
    }

    [Fact]
    public void StepHook_ChecksTheTokenAtEveryStep_WithOrWithoutProgress_AndDoesNotNest()
    {
        var reports = 0;
        var steps = new StepProgress(new Progress(_ => reports++), "encode", stepsPerChunk: 3, chunks: 2);
        using var cache = new Tessera.Nn.CausalCache();
        using var cancel = new CancellationTokenSource();
        // Re-attached per chunk, as the chunked passes do: each step reports once, not once per attach.
        StepProgress.Attach(cache, steps, 0, cancel.Token);
        StepProgress.Attach(cache, steps, 1, cancel.Token);
        cache.OnStep!();
        Assert.Equal(1, reports);

        // Sessions of unknown length have no progress, only the token.
        StepProgress.Attach(cache, null, 0, cancel.Token);
        cache.OnStep!();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => cache.OnStep!());
        Assert.Equal(1, reports);

        StepProgress.Attach(cache, null, 0, CancellationToken.None);
        Assert.Null(cache.OnStep);
    }

    private sealed class Progress(Action<ChunkProgress> report) : IProgress<ChunkProgress>
    {
        public void Report(ChunkProgress value) => report(value);
    }
}
