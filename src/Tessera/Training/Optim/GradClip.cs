using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Training.Optim;

/// <summary>Gradient clipping as torch.nn.utils.clip_grad_norm_.</summary>
internal static class GradClip
{
    /// <summary>
    /// Scales all gradients in place by min(1, maxNorm / (total + 1e-6)), where total is the 2-norm of the
    /// per-parameter gradient 2-norms (parameters without gradients are ignored). Returns total before clipping.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0.0;
        var total = stack(grads.Select(g => g.detach().norm()).ToArray()).norm();
        var coef = (maxNorm / total.add(Scalars.Of(1e-6), Scalars.One)).clamp_max(Scalars.Of(1.0));
        foreach (var g in grads) g.mul_(coef);
        return total.item<float>();
    }
}
