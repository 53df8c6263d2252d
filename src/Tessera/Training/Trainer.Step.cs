using Tessera.Models.VidTok;
using Tessera.Nn;
using Tessera.Training.Optim;
using static TorchSharp.torch;

namespace Tessera.Training;

public sealed partial class Trainer
{
    /// <summary>One iteration: autoencoder step, then discriminator step, then EMA. Returns the logged values.</summary>
    private Dictionary<string, double?> TrainStep(Tensor x)
    {
        using var scope = NewDisposeScope();
        model.train();
        loss.train();
        // Lightning counts optimiser steps: two per iteration, which is what disc_start refers to.
        var globalStep = 2 * Step;

        var (reconstruction, regularization, regLog) = Forward(x);

        var adversarial = !config.SkipDiscriminatorBeforeStart || loss.DiscFactorAt(globalStep + 1) > 0;

        SetRequiresGrad(loss.DiscriminatorParameters(), false);
        using var g = loss.GeneratorLoss(x, reconstruction, globalStep, model.Decoder.LastLayerWeight, regularization, adversarial: adversarial);
        optG.ZeroGrad();
        g.Loss.backward();
        var gNorm = GradClip.ClipGradNorm(optG.Parameters.Select(p => p.Param), config.GradClip);
        optG.Step();
        SetRequiresGrad(loss.DiscriminatorParameters(), true);

        var values = new Dictionary<string, double?>
        {
            ["total"] = g.Total, ["nll"] = g.Nll, ["rec"] = g.Rec, ["p"] = g.P, ["d_weight"] = g.DWeight,
            ["disc_factor"] = g.DiscFactor, ["g_loss"] = adversarial ? g.GLoss : null, ["logvar"] = g.LogVar, ["grad_norm"] = gNorm,
        };
        if (adversarial)
        {
            using var d = loss.DiscriminatorLoss(x, reconstruction.detach(), globalStep + 1);
            optD.ZeroGrad();
            d.Loss.backward();
            GradClip.ClipGradNorm(optD.Parameters.Select(p => p.Param), config.GradClip);
            optD.Step();
            values["disc_loss"] = d.DiscLoss;
            values["logits_real"] = d.LogitsReal;
            values["logits_fake"] = d.LogitsFake;
            values["lecam"] = d.LeCam;
        }

        ema?.Update(model.named_parameters().Where(p => p.parameter.requires_grad));

        foreach (var (k, v) in regLog) values[k] = v;
        return values;
    }

    /// <summary>
    /// The engine's forward: encode (without gradients when the encoder is frozen), regularise, decode; v1.1 keeps
    /// the last T frames. Returns the reconstruction, the regulariser losses by name, and their logged parts.
    /// </summary>
    private (Tensor Reconstruction, Dictionary<string, Tensor> Regularization, Dictionary<string, double> Log) Forward(Tensor x)
    {
        Tensor raw;
        if (config.FixEncoder)
            using (no_grad()) raw = model.EncodeRaw(x, CausalCache.None());
        else
            raw = model.EncodeRaw(x, CausalCache.None());

        var regularization = new Dictionary<string, Tensor>();
        var log = new Dictionary<string, double>();
        Tensor z;
        if (model.Fsq is { } fsq)
        {
            var (codes, _) = fsq.Quantize(raw);
            var aux = fsqAux!.Compute(raw, codes, Step);
            regularization["aux_loss"] = aux.AuxLoss;
            log["aux_loss"] = aux.AuxLoss.item<float>();
            log["entropy_per_sample"] = aux.PerSampleEntropy.item<float>();
            log["entropy_codebook"] = aux.CodebookEntropy.item<float>();
            log["commitment"] = aux.Commitment.item<float>();
            z = codes;
        }
        else
        {
            var gaussian = model.Gaussian!;
            var (mean, logVar) = gaussian.Split(raw);
            z = gaussian.Sample(mean, logVar, klNoise);
            var kl = gaussian.Kl(mean, logVar);
            regularization["kl_loss"] = kl;
            log["kl_loss"] = kl.item<float>();
        }
        var decoded = model.DecodeRaw(z, CausalCache.None());
        var frames = x.shape[2];
        var reconstruction = decoded.shape[2] == frames ? decoded : decoded[.., .., (int)(decoded.shape[2] - frames)..];
        return (reconstruction, regularization, log);
    }

    private static void SetRequiresGrad(IEnumerable<(string Name, TorchSharp.Modules.Parameter Param)> parameters, bool value)
    {
        foreach (var (_, p) in parameters) p.requires_grad = value;
    }
}

/// <summary>The columns of the training log, in order.</summary>
internal static class StepLog
{
    public static readonly string[] Columns =
    [
        "total", "nll", "rec", "p", "d_weight", "disc_factor", "g_loss", "logvar", "grad_norm",
        "aux_loss", "entropy_per_sample", "entropy_codebook", "commitment", "kl_loss",
        "disc_loss", "logits_real", "logits_fake", "lecam", "sec_per_step",
    ];
}
