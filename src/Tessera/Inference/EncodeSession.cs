using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// Tokenizes one live or endless video across calls: <see cref="Push(Tensor)"/> frames in pieces of any length,
/// <see cref="Pull"/> the codes of every whole chunk encoded so far, <see cref="Complete"/> to encode the tail (padded
/// with its last frame, as <see cref="VideoTokenizer.Encode"/> pads). The session holds the model's causal caches and
/// at most one chunk of frames, so memory does not grow with the stream. The codes pulled, joined along time, equal
/// the code of one <see cref="VideoTokenizer.Encode"/> call on the whole video (chunked exactly as the facade chunks
/// long videos). Only models whose card <see cref="Models.ModelCard.Streams"/> can be streamed; others are refused.
/// </summary>
public sealed class EncodeSession : IDisposable
{
    private readonly VideoTokenizer tokenizer;
    private readonly IStreamingTokenizer model;
    private readonly ChunkedEncoder encoder;
    private readonly List<Tensor> outputs = [];
    private long[]? frameShape;
    private ScalarType? frameType;
    private int pulledEncodedFrames;
    private readonly CancellationToken cancellationToken;

    /// <param name="expectedFrames">Frames the stream will have, when known, for <see cref="TokenizerOptions.Progress"/> reports.</param>
    /// <param name="cancellationToken">Checked after every encoder block; once it fires the session throws
    /// <see cref="OperationCanceledException"/> from every call and can only be disposed.</param>
    /// <param name="tokenizer">A tokenizer of a streaming model (<see cref="Models.ModelCard.Streams"/>); the session uses it and does not dispose it.</param>
    public EncodeSession(VideoTokenizer tokenizer, int expectedFrames = 0, CancellationToken cancellationToken = default)
    {
        this.cancellationToken = cancellationToken;
        model = StreamingModel.Of(tokenizer);
        if (tokenizer.Options.Latent == LatentMode.Sample)
            throw new InvalidInputException("a streaming session encodes the posterior mean; sampled latents (LatentMode.Sample) come from one whole-clip call");
        this.tokenizer = tokenizer;
        var chunk = tokenizer.Options.TemporalChunk;
        var chunks = expectedFrames > 0 ? TemporalChunker.Chunks(TemporalChunker.PaddedLength(expectedFrames, model.TemporalFactor), chunk).Count : 0;
        encoder = new ChunkedEncoder(Tiling.For(model, tokenizer.Options, tokenizer.Card), chunk, copyInput: true, tokenizer.Options.Progress, chunks, cancellationToken);
    }

    /// <summary>Real frames pushed so far.</summary>
    public int FramesPushed { get; private set; }

    /// <summary>Whether <see cref="Complete"/> has been called; no frames can be pushed after it.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>Appends frames [B, 3, n, H, W] or [3, n, H, W] in the card's range; the caller may reuse the tensor afterwards.</summary>
    public void Push(Tensor frames)
    {
        if (IsComplete) throw new InvalidOperationException("the stream is complete; start a new session for another stream");
        cancellationToken.ThrowIfCancellationRequested();
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        Append(tokenizer.CheckVideo(frames), frames.shape[^2], frames.shape[^1]);
    }

    /// <summary>
    /// Appends 8-bit RGB frames uint8 [n, H, W, 3] (a stream's piece), kept 8-bit until the encoder converts them tile by
    /// tile (<see cref="ByteFrames"/>): the codes equal those of <see cref="Push(Tensor)"/> given
    /// <see cref="Video.VideoClip.ToModelInput(Tensor)"/> of the frames in the card's range. One stream takes one kind.
    /// </summary>
    internal void PushFrames(Tensor frames)
    {
        if (IsComplete) throw new InvalidOperationException("the stream is complete; start a new session for another stream");
        cancellationToken.ThrowIfCancellationRequested();
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        Append(tokenizer.CheckFrames(frames), frames.shape[1], frames.shape[2]);
    }

    // x is the checked piece (padded to the model's multiple where needed); height and width are the piece's own.
    private void Append(Tensor x, long height, long width)
    {
        long[] shape = [x.shape[0], height, width];
        frameShape ??= shape;
        if (!shape.SequenceEqual(frameShape))
            throw new InvalidInputException($"frames of one stream must keep batch size and size: the stream has {frameShape[0]} x {frameShape[2]}x{frameShape[1]} (batch x width x height), this piece {shape[0]} x {shape[2]}x{shape[1]}");
        frameType ??= x.dtype;
        if (x.dtype != frameType)
            throw new InvalidInputException($"one stream takes either float frames (Push) or 8-bit frames, not both: the stream has {frameType}, this piece {x.dtype}");
        foreach (var output in encoder.Push(x)) outputs.Add(output.DetachFromDisposeScope());
        FramesPushed += (int)x.shape[2];
    }

    /// <summary>Appends rgb24 frames (height x width x 3 bytes each, as FFmpeg's rawvideo rgb24) of one video.</summary>
    public void PushRgb24(ReadOnlySpan<byte> frames, int height, int width)
    {
        var frameBytes = height * width * 3;
        if (frameBytes <= 0 || frames.Length % frameBytes != 0)
            throw new InvalidInputException($"rgb24 frames of {width}x{height} take {frameBytes} bytes each; got {frames.Length} bytes");
        using var scope = NewDisposeScope();
        var bytes = tensor(frames.ToArray(), [frames.Length / frameBytes, height, width, 3], ScalarType.Byte);
        using var signed = bytes.permute(3, 0, 1, 2).unsqueeze(0).to_type(ScalarType.Float32).div_(Scalars.Of(127.5)).sub_(Scalars.Of(1.0));
        Push(tokenizer.Card.Range.FromSigned(signed));
    }

    /// <summary>The code of the chunks encoded since the last pull, or null when no chunk has been completed since.</summary>
    /// <remarks>The returned code is the caller's to dispose.</remarks>
    public VideoCode? Pull()
    {
        if (outputs.Count == 0) return null;
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        var raw = outputs.Count == 1 ? outputs[0].alias() : cat(outputs, 2);
        var encoded = encoder.EncodedFrames;
        var frames = Math.Min(encoded, FramesPushed) - Math.Min(pulledEncodedFrames, FramesPushed);
        var code = model.CodeFromEncoderOutput(raw, frames, encoded - pulledEncodedFrames, tokenizer.Options);
        code.FrameSize = tokenizer.PaddedFrom(frameShape![1], frameShape[2]);
        code.MoveToOuterDisposeScope();
        foreach (var o in outputs) o.Dispose();
        outputs.Clear();
        pulledEncodedFrames = encoded;
        return code;
    }

    /// <summary>Ends the stream: encodes the frames left over (padded to a whole number of latent frames); pull their code next.</summary>
    public void Complete()
    {
        if (IsComplete) return;
        if (FramesPushed == 0) throw new InvalidInputException("the stream ended before its first frame");
        cancellationToken.ThrowIfCancellationRequested();
        tokenizer.FramesToEncode(FramesPushed);   // FramePolicy.Refuse refuses a count the model does not take, as Encode does
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        if (encoder.Complete() is { } tail) outputs.Add(tail.DetachFromDisposeScope());
        IsComplete = true;
    }

    /// <summary>Frees the causal caches and any frames or codes not yet pulled.</summary>
    public void Dispose()
    {
        encoder.Dispose();
        foreach (var o in outputs) o.Dispose();
        outputs.Clear();
    }
}
