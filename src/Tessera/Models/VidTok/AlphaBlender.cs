using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>AlphaBlender (VidTok §3.1): x = α·fixed + (1−α)·learned, α = sigmoid(mix_factor).</summary>
internal static class AlphaBlender
{
    public static Parameter NewMixFactor() => new(tensor(new float[] { 2.0f }));

    public static Tensor Blend(Parameter mixFactor, Tensor fixedPath, Tensor learnedPath)
    {
        using var alpha = sigmoid(mixFactor);
        using var a = fixedPath * alpha;
        using var oneMinus = 1 - alpha;
        using var b = learnedPath * oneMinus;
        return a + b;
    }
}
