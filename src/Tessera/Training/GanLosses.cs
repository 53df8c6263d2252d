using Tessera.Nn;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Tessera.Training;

/// <summary>The adversarial loss terms of VidTok's loss, as functions of discriminator logits.</summary>
internal static class GanLosses
{
    /// <summary>0.5·(mean relu(1 − real) + mean relu(1 + fake)).</summary>
    public static Tensor HingeDLoss(Tensor logitsReal, Tensor logitsFake)
    {
        using var scope = NewDisposeScope();
        var real = relu(1.0 - logitsReal).mean();
        var fake = relu(logitsFake.add(Scalars.Of(1.0), Scalars.One)).mean();
        return (0.5 * real.add(fake, Scalars.One)).MoveToOuterDisposeScope();
    }

    /// <summary>0.5·(mean softplus(−real) + mean softplus(fake)).</summary>
    public static Tensor VanillaDLoss(Tensor logitsReal, Tensor logitsFake)
    {
        using var scope = NewDisposeScope();
        return (0.5 * softplus(-logitsReal).mean().add(softplus(logitsFake).mean(), Scalars.One)).MoveToOuterDisposeScope();
    }

    /// <summary>Dispatches on <paramref name="kind"/>.</summary>
    public static Tensor DLoss(DiscriminatorLossKind kind, Tensor logitsReal, Tensor logitsFake) => kind switch
    {
        DiscriminatorLossKind.Hinge => HingeDLoss(logitsReal, logitsFake),
        _ => VanillaDLoss(logitsReal, logitsFake),
    };

    /// <summary>
    /// Non-saturating generator loss: each sample's logit map is averaged first, then the sigmoid cross-entropy
    /// against label 1 in its overflow-free form relu(l) − l + log1p(exp(−|l|)) is averaged over samples.
    /// </summary>
    public static Tensor NonSaturatingGenLoss(Tensor logitsFake)
    {
        using var scope = NewDisposeScope();
        var l = logitsFake.reshape(logitsFake.shape[0], -1).mean([-1]);
        var zeros = zeros_like(l);
        var positive = l >= zeros;
        var reluL = where(positive, l, zeros);
        var negAbs = where(positive, -l, l);
        var ce = (reluL - l * ones_like(l)).add(negAbs.exp().log1p(), Scalars.One);
        return ce.mean().MoveToOuterDisposeScope();
    }

    /// <summary>LeCam regulariser mean(relu(real − ema_fake)²) + mean(relu(ema_real − fake)²).</summary>
    public static Tensor LeCamReg(Tensor logitsReal, Tensor logitsFake, LeCamEma ema)
    {
        using var scope = NewDisposeScope();
        var a = relu(logitsReal - ema.LogitsFake).pow(Scalars.Of(2)).mean();
        var b = relu(ema.LogitsReal - logitsFake).pow(Scalars.Of(2)).mean();
        return a.add(b, Scalars.One).MoveToOuterDisposeScope();
    }
}
