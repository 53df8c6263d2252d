using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>AlphaBlender (VidTok §3.1): x = α·fixed + (1−α)·learned, α = sigmoid(mix_factor).</summary>
internal static class AlphaBlender
{
    public static Parameter NewMixFactor() => new(tensor(new float[] { 2.0f }));

    /// <summary>
    /// The blend. <paramref name="fixedPath"/> and <paramref name="learnedPath"/> must be temporaries the caller owns
    /// and disposes after the call: without autograd (inference) the blend is computed in their storage, so the
    /// full-size products and the sum (three tensors the size of the output) are never allocated. The arithmetic is
    /// the same as the out-of-place form, so the result is bit for bit the same.
    /// </summary>
    public static Tensor Blend(Parameter mixFactor, Tensor fixedPath, Tensor learnedPath)
    {
        using var alpha = sigmoid(mixFactor);
        // `1 - alpha` would leave TorchSharp's intermediate negation undisposed.
        using var oneMinus = alpha.neg().add_(Scalars.Of(1), Scalars.One);
        if (!is_grad_enabled())
        {
            fixedPath.mul_(alpha);
            // A new handle to the blended storage: the caller disposes its own handles to both inputs.
            return learnedPath.mul_(oneMinus).add_(fixedPath, Scalars.One).alias();
        }
        using var a = fixedPath * alpha;
        using var b = learnedPath * oneMinus;
        return a.add(b, Scalars.One);
    }
}
