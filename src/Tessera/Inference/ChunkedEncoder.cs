using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// The encoder side of temporal chunking, fed any number of frames at a time: frame 0 is encoded alone (latent 0),
/// then every <c>framesPerChunk</c> frames (a multiple of the temporal factor) as soon as they have arrived, with each
/// causal layer's past carried in one <see cref="CausalCache"/>; <see cref="Complete"/> pads the tail with its last
/// frame to a multiple of the temporal factor. Outputs are the encoder's, before any bottleneck.
/// </summary>
internal sealed class ChunkedEncoder : IDisposable
{
    private readonly ICausalAutoencoder model;
    private readonly int framesPerChunk;
    private readonly bool copyInput;
    private readonly CausalCache cache = new();
    private readonly FrameQueue queue = new();
    private readonly StepProgress? steps;
    private readonly CancellationToken cancellationToken;
    private int chunk;

    /// <param name="expectedChunks">Chunks the stream will have, for progress reports; 0 when unknown (no reports).</param>
    /// <param name="copyInput">Whether frames are copied on arrival (a caller may reuse its buffer) rather than viewed.</param>
    /// <param name="cancellationToken">Checked after every encoder block (throws <see cref="OperationCanceledException"/>).</param>
    /// <param name="model">The causal model that encodes.</param>
    /// <param name="framesPerChunk">Frames encoded per chunk after the first frame.</param>
    /// <param name="progress">Receives one report per encoded chunk; null for none.</param>
    public ChunkedEncoder(ICausalAutoencoder model, int framesPerChunk, bool copyInput, IProgress<ChunkProgress>? progress = null, int expectedChunks = 0,
        CancellationToken cancellationToken = default)
    {
        this.cancellationToken = cancellationToken;
        if (framesPerChunk <= 0 || framesPerChunk % model.TemporalFactor != 0)
            throw new ArgumentOutOfRangeException(nameof(framesPerChunk), $"frames per chunk must be a positive multiple of the temporal factor {model.TemporalFactor}, got {framesPerChunk}");
        this.model = model;
        this.framesPerChunk = framesPerChunk;
        this.copyInput = copyInput;
        if (progress is not null && expectedChunks > 0)
            steps = new StepProgress(progress, "encode", model.EncodeSteps, expectedChunks);
    }

    /// <summary>Input frames encoded so far, the tail's padding included.</summary>
    public int EncodedFrames { get; private set; }

    /// <summary>Frames waiting for their chunk to fill.</summary>
    public int Waiting => queue.Count;

    private int NextChunkFrames => chunk == 0 ? 1 : framesPerChunk;

    /// <summary>Appends frames [B, 3, n, H, W]; returns the encoder outputs of the chunks they completed (the caller owns them).</summary>
    public List<Tensor> Push(Tensor frames)
    {
        queue.Add(frames, copyInput);
        var outputs = new List<Tensor>();
        while (queue.Count >= NextChunkFrames)
            outputs.Add(EncodeNext(NextChunkFrames, padding: 0));
        return outputs;
    }

    /// <summary>Encodes the frames left, padded with the last one; null when none are left.</summary>
    public Tensor? Complete()
    {
        if (queue.Count == 0) return null;
        var factor = model.TemporalFactor;
        var padded = (queue.Count + factor - 1) / factor * factor;
        return EncodeNext(queue.Count, padded - queue.Count);
    }

    private Tensor EncodeNext(int frames, int padding)
    {
        // A scope per chunk: whatever a layer leaves undisposed is freed now, not at the end of the video.
        using var scope = NewDisposeScope();
        var input = queue.Peek(frames);
        if (padding > 0)
        {
            var last = queue.Last();
            input = cat([input, last.expand(-1, -1, padding, -1, -1)], 2);
        }
        cache.IsFirstChunk = chunk == 0;
        StepProgress.Attach(cache, steps, chunk, cancellationToken);
        var output = model.EncodeRaw(input, cache).MoveToOuterDisposeScope();
        queue.Drop(frames);
        EncodedFrames += frames + padding;
        chunk++;
        return output;
    }

    public void Dispose()
    {
        queue.Dispose();
        cache.Dispose();
    }
}
