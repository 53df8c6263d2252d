using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>
/// The autoencoder (generator) step of <see cref="VidTokLoss"/>: <see cref="Loss"/> keeps the graph for backward;
/// the doubles are the values the reference logs (train/total_loss, nll_loss, rec_loss, p_loss, d_weight,
/// disc_factor, g_loss, logvar and each weighted regulariser by name).
/// </summary>
internal sealed record GeneratorLossResult(
    Tensor Loss,
    double Total,
    double Nll,
    double Rec,
    double P,
    double DWeight,
    double DiscFactor,
    double GLoss,
    double LogVar,
    IReadOnlyDictionary<string, double> Regularization) : IDisposable
{
    /// <summary>Disposes <see cref="Loss"/>.</summary>
    public void Dispose() => Loss.Dispose();
}

/// <summary>
/// The discriminator step of <see cref="VidTokLoss"/>: <see cref="Loss"/> keeps the graph; the doubles are the
/// logged train/disc_loss, logits_real, logits_fake, disc_factor, non_saturated_d_loss and lecam_loss (null
/// when LeCam is off).
/// </summary>
internal sealed record DiscriminatorLossResult(
    Tensor Loss,
    double DiscLoss,
    double LogitsReal,
    double LogitsFake,
    double DiscFactor,
    double NonSaturatedDLoss,
    double? LeCam) : IDisposable
{
    /// <summary>Disposes <see cref="Loss"/>.</summary>
    public void Dispose() => Loss.Dispose();
}
