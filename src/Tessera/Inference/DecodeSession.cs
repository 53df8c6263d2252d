using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// Decodes one stream of codes across calls: <see cref="Push"/> codes (e.g. those an <see cref="EncodeSession"/>
/// pulls), <see cref="Pull"/> the video frames decoded so far, <see cref="Complete"/> to decode the last chunk. A
/// chunk is decoded once the model's look-ahead has arrived (the next latent where the decoder blends each latent with
/// the next, none where it is causal in latent time), so the frames equal those of
/// <see cref="VideoTokenizer.Decode"/> on the whole code when that takes the chunked path; a code short enough for one
/// whole-clip pass decodes within float rounding of it. Frames are unclamped, in the card's range.
/// </summary>
public sealed class DecodeSession : IDisposable
{
    private readonly VideoTokenizer tokenizer;
    private readonly IStreamingTokenizer model;
    private readonly ChunkedDecoder decoder;
    private readonly FrameQueue frames = new();
    private int codes, skip, claimed, emitted;
    private (int Height, int Width)? frameSize;
    private readonly CancellationToken cancellationToken;

    /// <param name="expectedLatents">Latent frames the stream will have, when known, for <see cref="TokenizerOptions.Progress"/> reports.</param>
    /// <param name="cancellationToken">Checked after every decoder block; once it fires the session throws
    /// <see cref="OperationCanceledException"/> from every call and can only be disposed.</param>
    /// <param name="tokenizer">A tokenizer of a streaming model (<see cref="Models.ModelCard.Streams"/>); the session uses it and does not dispose it.</param>
    public DecodeSession(VideoTokenizer tokenizer, int expectedLatents = 0, CancellationToken cancellationToken = default)
    {
        this.cancellationToken = cancellationToken;
        model = StreamingModel.Of(tokenizer);
        this.tokenizer = tokenizer;
        var perChunk = tokenizer.Options.TemporalChunk / model.TemporalFactor;
        var chunks = expectedLatents > 0 ? TemporalChunker.Chunks(expectedLatents, perChunk).Count : 0;
        decoder = new ChunkedDecoder(Tiling.For(model, tokenizer.Options, tokenizer.Card), perChunk, copyInput: true, tokenizer.Options.Progress, chunks, cancellationToken);
    }

    /// <summary>Whether <see cref="Complete"/> has been called; no codes can be pushed after it.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>Appends the next code of the stream; only the first may have leading frames.</summary>
    public void Push(VideoCode code)
    {
        if (IsComplete) throw new InvalidOperationException("the stream is complete; start a new session for another stream");
        if (code.Config.FamilyName != tokenizer.Config.FamilyName)
            throw new InvalidInputException($"code from {code.Config.FamilyName} model '{code.Config.Name}' cannot be decoded by {tokenizer.Config.FamilyName} model '{tokenizer.Config.Name}'");
        if (codes > 0 && code.LeadingFrames > 0)
            throw new InvalidInputException($"only the first code of a stream may have leading frames; code {codes + 1} has {code.LeadingFrames}");
        if (codes > 0 && code.FrameSize != frameSize)
            throw new InvalidInputException($"codes of one stream must record one frame size: the stream has {Show(frameSize)}, code {codes + 1} {Show(code.FrameSize)}");
        cancellationToken.ThrowIfCancellationRequested();
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        var latent = model.DecoderInput(code);
        codes++;
        frameSize = code.FrameSize;
        skip += code.LeadingFrames;
        claimed += code.Frames;
        Keep(decoder.Push(latent));
    }

    /// <summary>Frames [B, 3, n, H, W] decoded since the last pull, or null when none are.</summary>
    /// <remarks>The returned float32 tensor is the caller's to dispose.</remarks>
    public Tensor? Pull()
    {
        var n = Math.Min(frames.Count, claimed - emitted);
        if (n <= 0) return null;
        using var scope = NewDisposeScope();
        var x = SpatialPadding.Crop(frames.Peek(n), frameSize).contiguous();
        frames.Drop(n);
        emitted += n;
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Ends the stream: decodes the last chunk; pull its frames next.</summary>
    public void Complete()
    {
        if (IsComplete) return;
        if (codes == 0) throw new InvalidInputException("the stream ended before its first code");
        cancellationToken.ThrowIfCancellationRequested();
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        if (decoder.Complete() is { } tail) Keep([tail]);
        IsComplete = true;
        var available = emitted + frames.Count;
        if (available < claimed)
            throw new InvalidInputException($"the codes decode to {available} video frames, fewer than the {claimed} they claim");
    }

    /// <summary>Frees the causal caches and any decoded frames not yet pulled.</summary>
    public void Dispose()
    {
        decoder.Dispose();
        frames.Dispose();
    }

    private static string Show((int Height, int Width)? size) => size is { } s ? $"{s.Width}x{s.Height} (width x height)" : "none (the decoder's full size)";

    // Decoded frames wait here; the first code's leading frames (a causal encoder's front padding) are dropped.
    private void Keep(List<Tensor> decoded)
    {
        foreach (var d in decoded)
            using (d)
                frames.Add(d, copy: false);
        var dropped = Math.Min(skip, frames.Count);
        frames.Drop(dropped);
        skip -= dropped;
    }
}
