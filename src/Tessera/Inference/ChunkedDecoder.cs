using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// The decoder side of temporal chunking, fed any number of latent frames at a time: latent 0 alone, then
/// <c>latentsPerChunk</c> latents per chunk. Every chunk but the last is decoded with the model's look-ahead
/// (<see cref="ICausalAutoencoder.DecodeLookAhead"/>: one latent where trilinear temporal upsampling blends each latent
/// with the next, none for a decoder causal in latent time), and the look-ahead's frames are dropped; so a chunk is
/// decoded once the latents after it have arrived, and <see cref="Complete"/> decodes the rest without.
/// </summary>
internal sealed class ChunkedDecoder : IDisposable
{
    private readonly ICausalAutoencoder model;
    private readonly int latentsPerChunk;
    private readonly bool copyInput;
    private readonly CausalCache cache = new();
    private readonly FrameQueue queue = new();
    private readonly StepProgress? steps;
    private readonly CancellationToken cancellationToken;
    private readonly int lookAhead;
    private int chunk;

    /// <param name="expectedChunks">Chunks the stream will have, for progress reports; 0 when unknown (no reports).</param>
    /// <param name="cancellationToken">Checked after every decoder block (throws <see cref="OperationCanceledException"/>).</param>
    /// <param name="model">The causal model that decodes.</param>
    /// <param name="latentsPerChunk">Latent frames decoded per chunk.</param>
    /// <param name="copyInput">Whether codes are copied on arrival (a caller may reuse its tensors) rather than viewed.</param>
    /// <param name="progress">Receives one report per decoded chunk; null for none.</param>
    public ChunkedDecoder(ICausalAutoencoder model, int latentsPerChunk, bool copyInput, IProgress<ChunkProgress>? progress = null, int expectedChunks = 0,
        CancellationToken cancellationToken = default)
    {
        this.cancellationToken = cancellationToken;
        if (latentsPerChunk <= 0) throw new ArgumentOutOfRangeException(nameof(latentsPerChunk), $"latents per chunk must be positive, got {latentsPerChunk}");
        this.model = model;
        this.latentsPerChunk = latentsPerChunk;
        this.copyInput = copyInput;
        lookAhead = model.DecodeLookAhead;
        if (lookAhead > 0) model.PrepareOverlapDecode(cache);
        if (progress is not null && expectedChunks > 0)
            steps = new StepProgress(progress, "decode", model.DecodeSteps, expectedChunks);
    }

    private int NextChunkLatents => chunk == 0 ? 1 : latentsPerChunk;

    /// <summary>Appends latents [B, z, n, H', W']; returns the frames of the chunks they completed (the caller owns them).</summary>
    public List<Tensor> Push(Tensor latents)
    {
        queue.Add(latents, copyInput);
        var outputs = new List<Tensor>();
        while (queue.Count >= NextChunkLatents + lookAhead)
            outputs.Add(DecodeNext(NextChunkLatents, withLookAhead: true));
        return outputs;
    }

    /// <summary>Decodes the latents left; null when none are left.</summary>
    public Tensor? Complete() => queue.Count == 0 ? null : DecodeNext(queue.Count, withLookAhead: false);

    private Tensor DecodeNext(int latents, bool withLookAhead)
    {
        using var scope = NewDisposeScope();
        var ahead = withLookAhead ? lookAhead : 0;
        var input = queue.Peek(latents + ahead);
        cache.IsFirstChunk = chunk == 0;
        StepProgress.Attach(cache, steps, chunk, cancellationToken);
        var frames = model.DecodeRaw(input, cache);
        if (ahead > 0)
            frames = frames[.., .., ..(int)(frames.shape[2] - ahead * model.TemporalFactor)].contiguous();
        queue.Drop(latents);
        chunk++;
        return frames.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        queue.Dispose();
        cache.Dispose();
    }
}
