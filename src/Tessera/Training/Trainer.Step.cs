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
        work?.train();
        loss.train();
        // Lightning counts optimiser steps: two per iteration, which is what disc_start refers to.
        var globalStep = 2 * Step;

        var net = work ?? model;
        if (work is not null) CopyWeights(model, work);
        var (reconstruction, regularization, regLog) = Forward(net, x);

        var adversarial = !config.SkipDiscriminatorBeforeStart || loss.DiscFactorAt(globalStep + 1) > 0;

        SetRequiresGrad(loss.DiscriminatorParameters(), false);
        using var g = loss.GeneratorLoss(x, reconstruction, globalStep, net.Decoder.LastLayerWeight, regularization, adversarial: adversarial);
        EnsureFinite("autoencoder loss",
            [("total", g.Total), ("nll", g.Nll), ("rec", g.Rec), ("p", g.P), ("g_loss", adversarial ? g.GLoss : null), ("d_weight", g.DWeight),
             ("logvar", g.LogVar), .. regLog.Select(kv => (kv.Key, (double?)kv.Value))]);
        optG.ZeroGrad();
        g.Loss.backward();
        if (work is not null) MoveGradients(work, model);
        var gNorm = GradClip.ClipGradNorm(optG.Parameters.Select(p => p.Param), config.GradClip);
        EnsureFinite("autoencoder gradient", ("grad_norm", gNorm));
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
            EnsureFinite("discriminator loss", ("disc_loss", d.DiscLoss), ("logits_real", d.LogitsReal), ("logits_fake", d.LogitsFake), ("lecam", d.LeCam));
            optD.ZeroGrad();
            d.Loss.backward();
            var dNorm = GradClip.ClipGradNorm(optD.Parameters.Select(p => p.Param), config.GradClip);
            EnsureFinite("discriminator gradient", ("grad_norm", dNorm));
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
    private (Tensor Reconstruction, Dictionary<string, Tensor> Regularization, Dictionary<string, double> Log) Forward(VidTokModel net, Tensor x)
    {
        var compute = net.parameters().First().dtype;
        var input = x.to_type(compute);
        Tensor raw;
        if (config.FixEncoder)
            using (no_grad()) raw = net.EncodeRaw(input, CausalCache.None()).to_type(ScalarType.Float32);
        else
            raw = net.EncodeRaw(input, CausalCache.None()).to_type(ScalarType.Float32);

        var regularization = new Dictionary<string, Tensor>();
        var log = new Dictionary<string, double>();
        Tensor z;
        if (net.Fsq is { } fsq)
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
            var gaussian = net.Gaussian!;
            var (mean, logVar) = gaussian.Split(raw);
            z = gaussian.Sample(mean, logVar, klNoise);
            var kl = gaussian.Kl(mean, logVar);
            regularization["kl_loss"] = kl;
            log["kl_loss"] = kl.item<float>();
        }
        var decoded = net.DecodeRaw(z.to_type(compute), CausalCache.None()).to_type(ScalarType.Float32);
        var frames = x.shape[2];
        var reconstruction = decoded.shape[2] == frames ? decoded : decoded[.., .., (int)(decoded.shape[2] - frames)..];
        return (reconstruction, regularization, log);
    }

    /// <summary>Master weights (float32) into the bfloat16 working copy.</summary>
    private static void CopyWeights(VidTokModel master, VidTokModel copy)
    {
        using var _ = no_grad();
        var source = master.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in copy.named_parameters()) p.copy_(source[name]);
    }

    /// <summary>The working copy's gradients, as float32, onto the master weights; the copy's are cleared.</summary>
    private static void MoveGradients(VidTokModel copy, VidTokModel master)
    {
        var target = master.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in copy.named_parameters())
        {
            if (p.grad is not { } grad) continue;
            target[name].grad = grad.to_type(ScalarType.Float32);
            p.grad = null;
        }
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
