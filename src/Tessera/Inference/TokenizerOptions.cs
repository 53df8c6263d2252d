namespace Tessera.Inference;

/// <summary>What to do with a clip whose frame count the model cannot take as it is.</summary>
public enum FramePolicy
{
    /// <summary>Repeat the last frame up to the next count the model takes, and trim the output back.</summary>
    PadLastFrame,
    /// <summary>Throw <see cref="InvalidInputException"/> naming the counts the model takes.</summary>
    Refuse,
}

/// <summary>What to do with frames whose height or width the model cannot take as they are.</summary>
public enum SizePolicy
{
    /// <summary>
    /// Repeat the bottom row and the right column up to the next multiple of the model's spatial multiple, and crop the
    /// output back (<see cref="VideoCode.FrameSize"/> records the size).
    /// </summary>
    PadEdges,
    /// <summary>Throw <see cref="InvalidInputException"/> naming the multiple the model needs.</summary>
    Refuse,
}

/// <summary>How a KL model turns its posterior into a latent.</summary>
public enum LatentMode
{
    /// <summary>The posterior mean: deterministic (Tessera's default).</summary>
    Mean,
    /// <summary>mean + σ·ε with ε from a seeded generator (the reference engine samples even at inference).</summary>
    Sample,
}

/// <summary>Immutable inference settings of a <see cref="VideoTokenizer"/>.</summary>
public sealed record TokenizerOptions
{
    /// <summary>What to do with a frame count the model cannot take (default: pad with the last frame and trim the output).</summary>
    public FramePolicy Frames { get; init; } = FramePolicy.PadLastFrame;
    /// <summary>
    /// What to do with a height or width that is not a multiple of the model's spatial multiple (default: repeat the
    /// edge pixels up to it and crop the output back). Models that take one fixed frame size refuse other sizes either way.
    /// </summary>
    public SizePolicy Sizes { get; init; } = SizePolicy.PadEdges;
    /// <summary>How a KL model turns its posterior into latents (default: the mean).</summary>
    public LatentMode Latent { get; init; } = LatentMode.Mean;
    /// <summary>Seed of the generator <see cref="LatentMode.Sample"/> draws from; each call starts from it.</summary>
    public long Seed { get; init; } = 0;

    /// <summary>
    /// Streaming models (VidTok causal v1.1): frames per encoder chunk after the first frame (the reference's t_chunk_enc, 16).
    /// Clips longer than one chunk are streamed chunk by chunk; 0 disables chunking.
    /// </summary>
    public int TemporalChunk { get; init; } = 16;

    /// <summary>
    /// Spatial tiling of frames larger than one tile (convolutional models): null (the default) runs whole frames.
    /// Tiles bound memory by the tile's size instead of the frame's; results differ from untiled ones only near the
    /// blended seams (docs/performance.md gives the measured cost).
    /// </summary>
    public TileSize? Tile { get; init; }

    /// <summary>
    /// The number format of the encoder and decoder (float32 by default). With <see cref="ComputePrecision.BFloat16"/>, or
    /// <see cref="ComputePrecision.Auto"/> on a CPU with bfloat16 instructions, the tokenizer converts its model's weights to
    /// bfloat16 when it is created; codes and videos stay float32, and a pass that produces NaN or infinite values throws
    /// <see cref="NumericalException"/>. Convolutional models only.
    /// </summary>
    public ComputePrecision Precision { get; init; } = ComputePrecision.Float32;

    /// <summary>
    /// Receives progress after every block of the encoder or decoder (whole clips and each chunk of a long video), so a
    /// pass that takes minutes reports every few seconds. Reports arrive on the calling thread, in order.
    /// </summary>
    public IProgress<ChunkProgress>? Progress { get; init; }

    /// <summary>
    /// Threads the <c>tessera</c> command gives libtorch's intra-op pool (0: the default). The pool is shared by the
    /// whole process, so the tokenizer itself never changes it; a host application calls <c>torch.set_num_threads</c> once.
    /// </summary>
    public int Threads { get; init; }
}

/// <summary>
/// Progress of one encode or decode: <paramref name="Stage"/> is "encode" or "decode"; <paramref name="Done"/> of
/// <paramref name="Total"/> steps (one step: one block of the encoder or decoder on one chunk) are finished, the last
/// one in chunk <paramref name="Chunk"/> of <paramref name="Chunks"/> (1 of 1 for a whole clip).
/// </summary>
public readonly record struct ChunkProgress(string Stage, int Done, int Total, int Chunk, int Chunks);
