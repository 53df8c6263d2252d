using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>Continuous latents [B, C, T', H', W'] float32 (the posterior mean unless sampled).</summary>
public sealed class Latents : VideoCode
{
    /// <summary>
    /// Wraps <paramref name="values"/> float32 [B, C, T', H', W'] of a continuous model; the code takes ownership of
    /// <paramref name="values"/> and <paramref name="logVar"/> and disposes them with itself.
    /// </summary>
    /// <param name="values">Latents [B, C, T', H', W'] (C = <see cref="ModelCard.LatentChannels"/>).</param>
    /// <param name="config">The model configuration that decodes them.</param>
    /// <param name="frames">Video frames the latents stand for; decoding returns exactly this many.</param>
    /// <param name="leadingFrames">Decoder output frames before the video's first frame (see <see cref="VideoCode.LeadingFrames"/>).</param>
    /// <param name="logVar">The posterior's log-variance, same shape as <paramref name="values"/>, or null.</param>
    /// <exception cref="InvalidInputException"><paramref name="values"/> is not 5-D, or the frame counts are not positive.</exception>
    public Latents(Tensor values, ModelConfig config, int frames, int leadingFrames = 0, Tensor? logVar = null) : base(config, frames, leadingFrames)
    {
        if (values.dim() != 5)
            throw new InvalidInputException($"latents must be [B, C, T', H', W'], got [{string.Join(", ", values.shape)}]");
        Values = values;
        LogVar = logVar;
    }

    /// <summary>The latents [B, C, T', H', W'] float32, owned by this code (disposed with it).</summary>
    public Tensor Values { get; }

    /// <summary>Clamped log-variance of the posterior, when the encoder produced it.</summary>
    public Tensor? LogVar { get; }

    /// <inheritdoc/>
    public override long BatchSize => Values.shape[0];

    /// <inheritdoc/>
    public override (long Time, long Height, long Width) GridSize => (Values.shape[2], Values.shape[3], Values.shape[4]);

    internal override void MoveToOuterDisposeScope()
    {
        Values.MoveToOuterDisposeScope();
        LogVar?.MoveToOuterDisposeScope();
    }

    /// <summary>Disposes <see cref="Values"/> and <see cref="LogVar"/>.</summary>
    public override void Dispose()
    {
        Values.Dispose();
        LogVar?.Dispose();
    }
}
