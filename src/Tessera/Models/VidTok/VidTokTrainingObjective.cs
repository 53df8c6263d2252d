using System.Globalization;
using Tessera.Checkpoints;
using Tessera.Nn;
using Tessera.Training;
using Tessera.Training.Optim;
using TorchSharp;
using TorchSharp.Modules;
using Adam = Tessera.Training.Optim.Adam;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>
/// VidTok's training recipe behind the family-neutral trainer: per iteration one autoencoder step (L1 + perceptual
/// with learned log-variance, adaptive adversarial term, FSQ aux or KL loss; gradients clipped; Adam) and one
/// discriminator step (hinge + LeCam; clipped; Adam), then EMA. Optionally the passes run on a bfloat16 working copy.
/// </summary>
internal sealed class VidTokTrainingObjective : ITrainingObjective
{
    private static readonly string[] TrainingStatePrefixes = ["loss.", "model_ema.", "optimizer.", "rng."];

    /// <summary>The columns of the training log, in order.</summary>
    private static readonly string[] Columns =
    [
        "total", "nll", "rec", "p", "d_weight", "disc_factor", "g_loss", "logvar", "grad_norm",
        "aux_loss", "entropy_per_sample", "entropy_codebook", "commitment", "kl_loss",
        "disc_loss", "logits_real", "logits_fake", "lecam", "sec_per_step",
    ];

    private readonly TrainConfig config;
    private readonly VidTokConfig modelConfig;
    private readonly TrainingGuard guard;
    private readonly VidTokModel model;
    private VidTokModel? work;
    private readonly VidTokLoss loss;
    private readonly FsqAuxLoss? fsqAux;
    private readonly Adam optG;
    private readonly Adam optD;
    private readonly Ema? ema;
    private readonly Generator klNoise;

    public VidTokTrainingObjective(TrainingContext context)
    {
        config = context.Config;
        modelConfig = (VidTokConfig)config.Model;
        guard = context.Guard;
        var report = context.Report;
        // Initial weights from the run's own generator: the global one is shared by every thread of the process.
        using (var seeded = new Generator((ulong)config.Seed))
        using (Nn.InitRandom.Use(seeded))
            model = new VidTokModel(modelConfig);
        if (config.InitFrom is { } init)
        {
            report($"initialising from {init}");
            VidTokWeights.Load(model, init);
        }
        foreach (var (name, p) in model.named_parameters())
            p.requires_grad = !(config.FixEncoder && name.StartsWith("encoder.", StringComparison.Ordinal))
                           && !(config.FixDecoder && name.StartsWith("decoder.", StringComparison.Ordinal));
        var modelParameters = model.named_parameters().Where(p => p.parameter.requires_grad)
            .Select(p => ("model." + p.name, p.parameter)).ToList();
        if (config.Bf16)
        {
            using (var scratch = new Generator(0))
            using (Nn.InitRandom.Use(scratch))
                work = new VidTokModel(modelConfig);   // its weights are overwritten from the master's every step
            work.to(ScalarType.BFloat16);
            var trainable = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad);
            foreach (var (name, p) in work.named_parameters()) p.requires_grad = trainable[name];
            var check = CheckBf16(model, work, new ClipShape(config.Clip.Frames, config.Clip.Size));
            var native = CpuInfo.HasNativeBf16 switch { true => "native bfloat16 instructions", false => "no native bfloat16 instructions (emulated, may be slower than float32)", null => "bfloat16 support unknown" };
            if (check.Passed)
                report($"bf16: working copy in bfloat16 on {CpuInfo.Model} ({native}); self-check against float32: reconstruction {check.ReconstructionError:P2}, gradients {check.GradientError:P2} (relative L2)");
            else
            {
                report($"warning: bf16 refused on {CpuInfo.Model} ({native}): {check.Failure}; training in float32 instead (pass --no-bf16 to skip this check)");
                work.Dispose();
                work = null;
            }
        }

        loss = new VidTokLoss(config.Loss, context.Perceptual, new Generator((ulong)config.Seed + 1));
        if (model.Fsq is { } fsq) fsqAux = new FsqAuxLoss(fsq, config.FsqAux);
        var gParams = modelParameters.Concat(loss.AutoencoderParameters().Select(p => ("loss." + p.Name, p.Param))).ToList();
        optG = new Adam(gParams, config.LearningRate);
        optD = new Adam(loss.DiscriminatorParameters().Select(p => ("loss." + p.Name, p.Param)), config.LearningRate);
        if (config.EmaDecay is { } decay) ema = new Ema(model.named_parameters().Where(p => p.parameter.requires_grad), (float)decay);
        klNoise = new Generator((ulong)config.Seed + 2);
    }

    public TokenizerModel Model => model;

    public IReadOnlyList<string> LogColumns => Columns;

    public bool ReducedPrecision => work is not null;

    /// <summary>One iteration: autoencoder step, then discriminator step, then EMA. Returns the logged values.</summary>
    public Dictionary<string, double?> Step(Tensor x, long step)
    {
        using var scope = NewDisposeScope();
        model.train();
        work?.train();
        loss.train();
        // Lightning counts optimiser steps: two per iteration, which is what disc_start refers to.
        var globalStep = 2 * step;

        if (config.Family is VidTokTrainingOptions options)
            optG.LearningRate = optD.LearningRate = options.LearningRateAt(step, config.LearningRate, config.MaxSteps);
        var net = work ?? model;
        if (work is not null) CopyWeights(model, work);
        var (reconstruction, regularization, regLog) = Forward(net, x, step);

        var adversarial = !config.SkipDiscriminatorBeforeStart || loss.DiscFactorAt(globalStep + 1) > 0;

        SetRequiresGrad(loss.DiscriminatorParameters(), false);
        using var g = loss.GeneratorLoss(x, reconstruction, globalStep, net.Decoder.LastLayerWeight, regularization, adversarial: adversarial);
        guard.EnsureFinite(step, work is not null, "autoencoder loss",
            [("total", g.Total), ("nll", g.Nll), ("rec", g.Rec), ("p", g.P), ("g_loss", adversarial ? g.GLoss : null), ("d_weight", g.DWeight),
             ("logvar", g.LogVar), .. regLog.Select(kv => (kv.Key, (double?)kv.Value))]);
        optG.ZeroGrad();
        g.Loss.backward();
        if (work is not null) MoveGradients(work, model);
        var gNorm = GradClip.ClipGradNorm(optG.Parameters.Select(p => p.Param), config.GradClip);
        guard.EnsureFinite(step, work is not null, "autoencoder gradient", ("grad_norm", gNorm));
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
            guard.EnsureFinite(step, work is not null, "discriminator loss", ("disc_loss", d.DiscLoss), ("logits_real", d.LogitsReal), ("logits_fake", d.LogitsFake), ("lecam", d.LeCam));
            optD.ZeroGrad();
            d.Loss.backward();
            var dNorm = GradClip.ClipGradNorm(optD.Parameters.Select(p => p.Param), config.GradClip);
            guard.EnsureFinite(step, work is not null, "discriminator gradient", ("grad_norm", dNorm));
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
    private (Tensor Reconstruction, Dictionary<string, Tensor> Regularization, Dictionary<string, double> Log) Forward(VidTokModel net, Tensor x, long step)
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
            var aux = fsqAux!.Compute(raw, codes, step);
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

    /// <summary>model (encoder.*/decoder.*), loss.* (logvar, discriminator, as in official checkpoints), model_ema.*, both optimisers, the KL noise generator.</summary>
    public IEnumerable<(string Name, Tensor Value)> StateTensors()
    {
        var tensors = new List<(string, Tensor)>();
        tensors.AddRange(model.state_dict().Select(kv => (kv.Key, kv.Value)));
        tensors.AddRange(loss.state_dict().Select(kv => ("loss." + kv.Key, kv.Value)));
        if (ema is not null) tensors.AddRange(ema.StateTensors("model_ema."));
        tensors.AddRange(optG.StateTensors("optimizer.g."));
        tensors.AddRange(optD.StateTensors("optimizer.d."));
        tensors.Add(("rng.kl_noise", klNoise.get_state()));
        return tensors;
    }

    /// <summary>The LeCam averages.</summary>
    public IReadOnlyDictionary<string, string> StateMetadata()
    {
        var meta = new Dictionary<string, string>();
        if (loss.LeCam is { } lecam)
        {
            meta["lecam_real"] = lecam.LogitsReal.ToString("R", CultureInfo.InvariantCulture);
            meta["lecam_fake"] = lecam.LogitsFake.ToString("R", CultureInfo.InvariantCulture);
        }
        return meta;
    }

    public void LoadState(StateDict sd, string path)
    {
        StateDictLoader.LoadInto(model, sd, path, skipPrefixes: TrainingStatePrefixes);
        StateDictLoader.LoadInto(loss, sd, path, prefix: "loss.");
        ema?.LoadState(sd, "model_ema.");
        optG.LoadState(sd, "optimizer.g.");
        optD.LoadState(sd, "optimizer.d.");
        klNoise.set_state(sd["rng.kl_noise"]);
        if (loss.LeCam is { } lecam)
        {
            lecam.LogitsReal = double.Parse(sd.Metadata["lecam_real"], CultureInfo.InvariantCulture);
            lecam.LogitsFake = double.Parse(sd.Metadata["lecam_fake"], CultureInfo.InvariantCulture);
        }
    }

    public IDisposable EvaluationWeights()
    {
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        if (ema is not null) ema.Apply(trainable);
        model.eval();
        return new Restore(() => { if (ema is not null) ema.Restore(trainable.Select(p => p.parameter)); });
    }

    /// <summary>Encode, quantise (FSQ codes or the KL mean), decode; v1.1 keeps the last T frames.</summary>
    public Tensor Reconstruct(Tensor x)
    {
        var raw = model.EncodeRaw(x, CausalCache.None());
        var z = model.Fsq is { } fsq ? fsq.Quantize(raw).Codes : model.Gaussian!.Split(raw).Mean;
        var y = model.DecodeRaw(z, CausalCache.None());
        return y[.., .., (int)(y.shape[2] - x.shape[2])..].clamp(Scalars.Of(-1.0), Scalars.Of(1.0));
    }

    public void Dispose()
    {
        optG.Dispose();
        optD.Dispose();
        ema?.Dispose();
        loss.Dispose();
        work?.Dispose();
        model.Dispose();
    }

    private sealed class Restore(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    /// <summary>
    /// Runs one forward and backward pass of a fixed smooth clip through the float32 model and through the bfloat16
    /// working copy (same weights) and compares reconstructions and gradients. bfloat16 kernels differ by CPU
    /// (oneDNN's native AVX512-BF16/AMX kernels on some, float32 emulation on others), and a broken one turns
    /// training into NaN from the first step; this catches that before any step is taken.
    /// </summary>
    internal static Bf16Check CheckBf16(VidTokModel master, VidTokModel copy, ClipShape shape)
    {
        CopyWeights(master, copy);
        var (y32, g32) = ProbePass(master, shape);
        var (y16, g16) = ProbePass(copy, shape);
        try
        {
            return Bf16Check.Compare(y32, y16, g32, g16);
        }
        finally
        {
            y32.Dispose(); y16.Dispose(); g32.Dispose(); g16.Dispose();
        }
    }

    /// <summary>The size of the probe clip: one clip of the training size.</summary>
    internal readonly record struct ClipShape(int Frames, int Size);

    // Reconstruction (float32) and all trainable gradients (flattened, float32) for a fixed clip; the latent goes
    // to the decoder unquantised, so FSQ rounding cannot flip a code between the two precisions.
    private static (Tensor Reconstruction, Tensor Gradients) ProbePass(VidTokModel net, ClipShape shape)
    {
        using var scope = NewDisposeScope();
        var dtype = net.parameters().First().dtype;
        var t = linspace(0, 1, shape.Frames).reshape(1, 1, -1, 1, 1);
        var yy = linspace(-1, 1, shape.Size).reshape(1, 1, 1, -1, 1);
        var xx = linspace(-1, 1, shape.Size).reshape(1, 1, 1, 1, -1);
        var channel = tensor(new float[] { 1.0f, 2.0f, 3.0f }).reshape(1, 3, 1, 1, 1);
        var x = (channel * (3 * xx).add(2 * yy, Scalars.One).add(t, Scalars.One)).add(2 * xx * yy, Scalars.One).sin() * 0.9;
        var raw = net.EncodeRaw(x.to_type(dtype), CausalCache.None()).to_type(ScalarType.Float32);
        var z = net.Gaussian is { } g ? g.Split(raw).Mean : raw;
        var y = net.DecodeRaw(z.to_type(dtype), CausalCache.None()).to_type(ScalarType.Float32);
        var loss = y.square().mean().add((y.narrow(2, y.shape[2] - 1, 1) - x.narrow(2, x.shape[2] - 1, 1)).abs().mean(), Scalars.One);
        var trainable = net.parameters().Where(p => p.requires_grad).ToList();
        foreach (var p in trainable) p.grad = null;
        loss.backward();
        var grads = cat(trainable.Select(p => (p.grad ?? zeros_like(p)).to_type(ScalarType.Float32).flatten()).ToArray());
        foreach (var p in trainable) p.grad = null;
        return (y.detach().MoveToOuterDisposeScope(), grads.MoveToOuterDisposeScope());
    }
}
