using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Quantizers;

/// <summary>
/// VidTok's KL bottleneck: the encoder emits [mean ‖ log-variance] along channels; log-variance is
/// clamped to [-30, 20]. The mode (mean) is the deterministic latent; a sample is mean + σ·ε.
/// </summary>
internal sealed class DiagonalGaussian(int channels)
{
    public int Channels => channels;

    /// <summary>Splits encoder moments [B, 2C, T, H, W] into mean and clamped log-variance, each [B, C, T, H, W].</summary>
    public (Tensor Mean, Tensor LogVar) Split(Tensor moments)
    {
        if (moments.dim() < 2 || moments.shape[1] != 2 * channels)
            throw new InvalidInputException($"KL bottleneck with {channels} channels expects {2 * channels} moment channels, got shape [{string.Join(", ", moments.shape)}]");
        using var scope = NewDisposeScope();
        var parts = moments.chunk(2, 1);
        var mean = parts[0].contiguous();
        var logVar = parts[1].clamp(Scalars.Of(-30.0), Scalars.Of(20.0));
        return (mean.MoveToOuterDisposeScope(), logVar.MoveToOuterDisposeScope());
    }

    /// <summary>mean + exp(logvar / 2)·ε, with ε drawn from <paramref name="generator"/> unless <paramref name="noise"/> is given.</summary>
    public Tensor Sample(Tensor mean, Tensor logVar, Generator? generator = null, Tensor? noise = null)
    {
        using var scope = NewDisposeScope();
        var eps = noise ?? randn(mean.shape, dtype: mean.dtype, device: mean.device, generator: generator);
        return mean.add((0.5 * logVar).exp() * eps, Scalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>KL(q ‖ N(0, I)) summed over all latent elements, averaged over the batch.</summary>
    public Tensor Kl(Tensor mean, Tensor logVar)
    {
        using var scope = NewDisposeScope();
        var perElement = mean.pow(Scalars.Of(2)).add(logVar.exp(), Scalars.One) - 1.0 - logVar;
        return (0.5 * perElement.sum() / mean.shape[0]).MoveToOuterDisposeScope();
    }
}
