using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>Continuous latents [B, C, T', H', W'] float32 (the posterior mean unless sampled).</summary>
public sealed class Latents : VideoCode
{
    public Latents(Tensor values, ModelConfig config, int frames, int leadingFrames = 0, Tensor? logVar = null) : base(config, frames, leadingFrames)
    {
        if (values.dim() != 5)
            throw new InvalidInputException($"latents must be [B, C, T', H', W'], got [{string.Join(", ", values.shape)}]");
        Values = values;
        LogVar = logVar;
    }

    public Tensor Values { get; }

    /// <summary>Clamped log-variance of the posterior, when the encoder produced it.</summary>
    public Tensor? LogVar { get; }

    public override long BatchSize => Values.shape[0];

    public override (long Time, long Height, long Width) GridSize => (Values.shape[2], Values.shape[3], Values.shape[4]);

    internal override void MoveToOuterDisposeScope()
    {
        Values.MoveToOuterDisposeScope();
        LogVar?.MoveToOuterDisposeScope();
    }

    public override void Dispose()
    {
        Values.Dispose();
        LogVar?.Dispose();
    }
}
