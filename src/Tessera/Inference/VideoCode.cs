using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// What a tokenizer produces for a video: discrete <see cref="TokenIds"/> (FSQ models) or continuous
/// <see cref="Latents"/> (KL models). Owns its tensors; dispose it when done.
/// </summary>
public abstract class VideoCode : IDisposable
{
    private protected VideoCode(VidTokConfig config, int frames, int leadingFrames)
    {
        if (frames <= 0) throw new InvalidInputException($"a video code must cover at least one frame, got {frames}");
        if (leadingFrames < 0) throw new InvalidInputException($"leading frames must not be negative, got {leadingFrames}");
        Config = config;
        Frames = frames;
        LeadingFrames = leadingFrames;
    }

    /// <summary>The model configuration that produced (and can decode) this code.</summary>
    public VidTokConfig Config { get; }

    /// <summary>Frames of the video that was encoded; decoding returns exactly this many.</summary>
    public int Frames { get; }

    /// <summary>
    /// Decoder output frames that precede the video's first frame (they come from the causal encoder's
    /// front padding; v1.1 decoders return them, v1.0 decoders drop them themselves).
    /// </summary>
    public int LeadingFrames { get; }

    /// <summary>Latent grid size (T', H', W').</summary>
    public abstract (long Time, long Height, long Width) GridSize { get; }

    public abstract void Dispose();
}

/// <summary>Token ids [B, T', H', W'] int32, each in [0, codebook size).</summary>
public sealed class TokenIds : VideoCode
{
    public TokenIds(Tensor ids, VidTokConfig config, int frames, int leadingFrames = 0) : base(config, frames, leadingFrames)
    {
        if (ids.dim() != 4 || ids.dtype != ScalarType.Int32)
            throw new InvalidInputException($"token ids must be int32 [B, T', H', W'], got {ids.dtype} [{string.Join(", ", ids.shape)}]");
        Ids = ids;
    }

    public Tensor Ids { get; }
    public long CodebookSize => ((FsqBottleneck)Config.Regularizer).CodebookSize;
    public long Count => Ids.numel();
    public override (long Time, long Height, long Width) GridSize => (Ids.shape[1], Ids.shape[2], Ids.shape[3]);
    public override void Dispose() => Ids.Dispose();
}

/// <summary>Continuous latents [B, C, T', H', W'] float32 (the posterior mean unless sampled).</summary>
public sealed class Latents : VideoCode
{
    public Latents(Tensor values, VidTokConfig config, int frames, int leadingFrames = 0, Tensor? logVar = null) : base(config, frames, leadingFrames)
    {
        if (values.dim() != 5)
            throw new InvalidInputException($"latents must be [B, C, T', H', W'], got [{string.Join(", ", values.shape)}]");
        Values = values;
        LogVar = logVar;
    }

    public Tensor Values { get; }

    /// <summary>Clamped log-variance of the posterior, when the encoder produced it.</summary>
    public Tensor? LogVar { get; }

    public override (long Time, long Height, long Width) GridSize => (Values.shape[2], Values.shape[3], Values.shape[4]);

    public override void Dispose()
    {
        Values.Dispose();
        LogVar?.Dispose();
    }
}
