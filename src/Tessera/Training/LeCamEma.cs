using static TorchSharp.torch;

namespace Tessera.Training;

/// <summary>
/// Exponential moving averages of the mean real and fake discriminator logits for the LeCam regulariser, kept as
/// plain doubles (the reference keeps Python floats, so they are not part of any state dict).
/// </summary>
internal sealed class LeCamEma(double init = 0.0, double decay = 0.999)
{
    /// <summary>EMA of mean D(x).</summary>
    public double LogitsReal { get; set; } = init;
    /// <summary>EMA of mean D(x̂).</summary>
    public double LogitsFake { get; set; } = init;
    /// <summary>The decay (0.999).</summary>
    public double Decay => decay;

    /// <summary>Folds in this batch's mean logits (as float32 means, like <c>.item()</c> on a float tensor).</summary>
    public void Update(Tensor logitsReal, Tensor logitsFake)
    {
        using var scope = NewDisposeScope();
        LogitsReal = LogitsReal * decay + logitsReal.mean().item<float>() * (1 - decay);
        LogitsFake = LogitsFake * decay + logitsFake.mean().item<float>() * (1 - decay);
    }
}
