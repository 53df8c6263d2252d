using System.Globalization;
using Tessera.Checkpoints;
using Tessera.Nn;
using Tessera.Training;
using Tessera.Training.Optim;
using TorchSharp.Modules;
using Adam = Tessera.Training.Optim.Adam;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// SweetTok's stage 2 (spec §8.1, §8.3): the queries, encoder, MLC quantisers (so the codebooks) and pre-VQ are frozen
/// and kept in eval mode; the post-VQ projections, the decoder and the proxy's pixel decoder train on pixels. The
/// decoder's logits become soft codes (softmax × the proxy's code vectors) that the proxy decoder turns into video.
/// Loss: reconstruction_weight × MSE on the [-1, 1] scale (the reference's 4 × MSE on [-0.5, 0.5]) + perceptual_weight
/// × the perceptual distance of one random frame per clip + from <see cref="SweetTokTrainingOptions.DiscriminatorStart"/>
/// discriminator_weight × (−mean D(x̂)) + the feature-matching term, against the reference's 3-D discriminator
/// (<see cref="SweetTokDiscriminator"/>) trained with discriminator_weight × hinge + LeCam. The discriminator sees clips on
/// the reference's [-0.5, 0.5] scale. LeCam: the official YAML sets lecam_regularization_weight 0.001 but the reference
/// code has the term commented out; Tessera applies the YAML's weight (0 turns it off, as the reference runs).
/// </summary>
internal sealed class SweetTokStage2Objective : ITrainingObjective
{
    private static readonly string[] Columns = ["total", "rec", "p", "g_loss", "fm_loss", "disc_loss", "logits_real", "logits_fake", "lecam", "lr", "grad_norm", "sec_per_step"];
    private static readonly string[] NoDecayNames = ["ln", "bias", "latent_tokens", "mask_token", "embedding", "norm", "gamma"];
    private static readonly string[] TrainingStatePrefixes = ["proxy_decoder.", "discriminator.", "model_ema.", "optimizer.", "rng."];
    private static readonly string[] TrainedPrefixes = ["post_vq_conv_.", "post_vq_conv_temporal.", "decoder."];

    private readonly TrainConfig config;
    private readonly SweetTokTrainingOptions options;
    private readonly TrainingGuard guard;
    private readonly Func<Tensor, Tensor, Tensor>? perceptual;
    private readonly SweetTokModel model;
    private readonly ISweetTokProxy proxy;
    private readonly MlcCodebooks spatialBooks;
    private readonly MlcCodebooks temporalBooks;
    private readonly SweetTokDiscriminator discriminator;
    private readonly LeCamEma lecam = new();
    private readonly Adam optG;
    private readonly Adam optD;
    private readonly Ema? ema;
    private readonly Generator frames;
    private readonly List<(string Name, Parameter Param)> trained;

    // NLayerDiscriminator3D(3, 64, n_layers=3, 'batch') in the reference's stage-2 loss.
    private const int DiscriminatorLayers = 3;

    public SweetTokStage2Objective(TrainingContext context)
    {
        config = context.Config;
        guard = context.Guard;
        perceptual = context.Perceptual;
        options = (SweetTokTrainingOptions)config.Family!;
        var c = (SweetTokConfig)config.Model;
        if (config.FixEncoder || config.FixDecoder)
            throw new ConfigException("SweetTok's stage 2 freezes the encoder itself; fix_encoder/fix_decoder and finetune --stage2 are VidTok's");
        if (config.Clip.Size != c.ImageSize || config.Clip.Frames != c.Frames)
            throw new ConfigException($"SweetTok model '{c.Name}' takes {c.Frames} frames of {c.ImageSize}x{c.ImageSize}; the training clip is {config.Clip.Frames} frames of {config.Clip.Size}x{config.Clip.Size}");
        if (options.LearnedCodebook && config.InitFrom is null)
            throw new ConfigException("stage 2 of the learned-codebook ablation (tessera.codebook: learned) needs init_from: the stage-1 checkpoint holds the learned codebooks");
        if (config.InitFrom is null)
            context.Report("warning: stage 2 without init_from starts from random weights; it fine-tunes a stage-1 checkpoint");

        using var spatialPrior = SweetTokTrainingObjective.LoadPrior(options.SpatialPrior, "spatial_prior", OfficialPriors.LoadSpatial);
        using var temporalPrior = SweetTokTrainingObjective.LoadPrior(options.TemporalPrior, "temporal_prior", OfficialPriors.LoadTemporal);
        SweetTokTrainingObjective.CheckPrior(spatialPrior, c.SpatialPriorDim, "spatial_prior", c.AdjectiveWords, c.NounWords, options.SpatialPrior!);
        SweetTokTrainingObjective.CheckPrior(temporalPrior, c.TemporalPriorDim, "temporal_prior", c.AdverbWords, c.VerbWords, options.TemporalPrior!);

        context.Report($"proxy: {options.ProxyPath}");
        proxy = ISweetTokProxy.Load(options.ProxyPath, c);
        model = new SweetTokModel(c);
        SweetTokTrainingObjective.Initialise(model, config.Seed);
        SweetTokTrainingObjective.CheckGrid(proxy, c);
        if (config.InitFrom is { } init)
        {
            var (loaded, total) = SweetTokTrainingObjective.LoadMatching(model, init);
            context.Report($"initialised {loaded} of {total} weight tensors from {init}");
        }
        // The GCNs are frozen, so the codebooks are fixed: refined once, in eval mode.
        model.eval();
        if (options.LearnedCodebook) (spatialBooks, temporalBooks) = LearnedBooks(config.InitFrom!, spatialPrior, temporalPrior, c.EDim);
        else
        {
            spatialBooks = model.SpatialQuantizer.Refine(spatialPrior.Graph);
            temporalBooks = model.TemporalQuantizer.Refine(temporalPrior.Graph);
        }

        foreach (var (name, p) in model.named_parameters())
            p.requires_grad = TrainedPrefixes.Any(t => name.StartsWith(t, StringComparison.Ordinal));
        foreach (var p in proxy.PixelDecoder.parameters()) p.requires_grad = true;
        trained = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => ("model." + p.name, p.parameter))
            .Concat(proxy.PixelDecoder.named_parameters().Select(p => ("proxy_decoder." + p.name, p.parameter))).ToList();
        var oneDimensional = trained.Where(p => p.Param.dim() <= 1).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        optG = new Adam(trained, config.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay,
            name => !oneDimensional.Contains(name) && !NoDecayNames.Any(n => name.Contains(n, StringComparison.Ordinal)));

        using (var seeded = new Generator((ulong)config.Seed + 1))
            discriminator = new SweetTokDiscriminator(options.DiscriminatorChannels, DiscriminatorLayers, seeded);
        optD = new Adam(discriminator.named_parameters().Select(p => ("discriminator." + p.name, p.parameter)), options.DiscriminatorLearningRate,
            options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
        if (config.EmaDecay is { } decay) ema = new Ema(trained, (float)decay);
        frames = new Generator((ulong)config.Seed + 4);
    }

    public TokenizerModel Model => model;

    public IReadOnlyList<string> LogColumns => Columns;

    public bool ReducedPrecision => false;

    public Dictionary<string, double?> Step(Tensor clips, long step)
    {
        using var scope = NewDisposeScope();
        SetModes(training: true);
        optG.LearningRate = CosineSchedule.At(step, config.LearningRate, options.EndLearningRate, options.WarmupSteps, config.MaxSteps);
        optD.LearningRate = CosineSchedule.At(step, options.DiscriminatorLearningRate, options.EndLearningRate, options.WarmupSteps, config.MaxSteps);
        var adversarial = step >= options.DiscriminatorStart;

        var reconstruction = Forward(clips);
        var rec = nn.functional.mse_loss(reconstruction, clips);
        var total = options.ReconstructionWeight * rec;
        double? pValue = null;
        if (perceptual is not null && options.PerceptualWeight > 0)
        {
            var t = clips.shape[2];
            var index = (long)Math.Min(t - 1, Math.Floor(rand(1, generator: frames).item<float>() * t));
            var p = perceptual(clips[.., .., (int)index], reconstruction[.., .., (int)index].clamp(Scalars.Of(-1.0), Scalars.Of(1.0))).mean();
            total = total.add(options.PerceptualWeight * p, Scalars.One);
            pValue = p.item<float>();
        }
        double? gValue = null, fmValue = null;
        foreach (var p in discriminator.parameters()) p.requires_grad = false;
        if (adversarial)
        {
            var fake = discriminator.Features(reconstruction * 0.5);
            var g = -fake[^1].mean();
            var fm = FeatureMatching(fake, discriminator.Features(clips * 0.5));
            total = total.add(options.DiscriminatorWeight * g, Scalars.One).add(fm, Scalars.One);
            gValue = g.item<float>();
            fmValue = fm.item<float>();
        }
        double totalValue = total.item<float>(), recValue = rec.item<float>();
        guard.EnsureFinite(step, false, "stage-2 loss", ("total", totalValue), ("rec", recValue), ("p", pValue), ("g_loss", gValue), ("fm_loss", fmValue));
        optG.ZeroGrad();
        total.backward();
        var gNorm = GradClip.ClipGradNorm(trained.Select(p => p.Param), config.GradClip);
        guard.EnsureFinite(step, false, "stage-2 gradient", ("grad_norm", gNorm));
        optG.Step();
        foreach (var p in discriminator.parameters()) p.requires_grad = true;

        var values = new Dictionary<string, double?>
        {
            ["total"] = totalValue, ["rec"] = recValue, ["p"] = pValue, ["g_loss"] = gValue, ["fm_loss"] = fmValue, ["lr"] = optG.LearningRate, ["grad_norm"] = gNorm,
        };
        if (adversarial)
        {
            var real = discriminator.forward(clips.detach() * 0.5);
            var fake = discriminator.forward(reconstruction.detach() * 0.5);
            lecam.Update(real, fake);
            var lecamTerm = GanLosses.LeCamReg(real, fake, lecam);
            var dLoss = (options.DiscriminatorWeight * GanLosses.HingeDLoss(real, fake)).add(options.LeCamWeight * lecamTerm, Scalars.One);
            guard.EnsureFinite(step, false, "discriminator loss", ("disc_loss", dLoss.item<float>()));
            optD.ZeroGrad();
            dLoss.backward();
            var dNorm = GradClip.ClipGradNorm(discriminator.parameters(), config.GradClip);
            guard.EnsureFinite(step, false, "discriminator gradient", ("grad_norm", dNorm));
            optD.Step();
            values["disc_loss"] = dLoss.item<float>();
            values["logits_real"] = real.mean().item<float>();
            values["logits_fake"] = fake.mean().item<float>();
            values["lecam"] = lecamTerm.item<float>();
        }
        ema?.Update(trained);
        return values;
    }

    /// <summary>
    /// The reference's feature matching: 4 × Σ over every stage but the logits of (4 / (n_layers + 1)) × 0.01 ×
    /// L1(D_i(x̂), sg(D_i(x))), the gradient reaching the generator through D_i(x̂) only.
    /// </summary>
    private static Tensor FeatureMatching(IReadOnlyList<Tensor> fake, IReadOnlyList<Tensor> real)
    {
        var weight = 4.0 / (DiscriminatorLayers + 1) * 0.01;
        var sum = zeros(1).squeeze();
        for (var i = 0; i < fake.Count - 1; i++)
            sum = sum.add(weight * nn.functional.l1_loss(fake[i], real[i].detach()), Scalars.One);
        return 4.0 * sum;
    }

    // The ablation's learned codebooks, frozen as stage 2 freezes the language ones: read from the stage-1 checkpoint.
    private (MlcCodebooks Spatial, MlcCodebooks Temporal) LearnedBooks(string init, OfficialPrior spatial, OfficialPrior temporal, long eDim)
    {
        using var sd = SafeTensorsFile.Load(init);
        using var rows = new LearnedCodebooks(spatial, temporal, eDim, config.Seed);
        StateDictLoader.LoadInto(rows, sd, init, prefix: LearnedCodebooks.Prefix);
        using var grad = no_grad();
        using var s = model.SpatialQuantizer.FromRows(rows.Adjective, rows.Noun);
        using var t = model.TemporalQuantizer.FromRows(rows.Adverb, rows.Verb);
        return (new MlcCodebooks(s.First.clone(), s.Second.clone()), new MlcCodebooks(t.First.clone(), t.Second.clone()));
    }

    // Frozen encoder path without gradients; soft codes through the trainable decoder and proxy decoder.
    private Tensor Forward(Tensor clips)
    {
        Tensor sq, tq;
        using (no_grad())
        {
            var (zs, zt) = model.EncodeLatents(clips * 0.5);
            using var s = model.SpatialQuantizer.forward(zs, spatialBooks);
            using var t = model.TemporalQuantizer.forward(zt, temporalBooks);
            sq = s.Quantized.detach();
            tq = t.Quantized.detach();
        }
        var logits = model.DecodeLogits(sq, tq);
        var soft = logits.softmax(1).permute(0, 2, 3, 4, 1).matmul(proxy.CodeVectors).permute(0, 4, 1, 2, 3).contiguous();
        return proxy.DecodeVectors(soft, (int)clips.shape[2]);
    }

    // The frozen parts stay in eval mode in every step (the reference re-calls .eval() inside encode).
    private void SetModes(bool training)
    {
        model.eval();
        proxy.PixelDecoder.train(training);
        discriminator.train(training);
        if (!training) return;
        model.Decoder.train();
    }

    public IEnumerable<(string Name, Tensor Value)> StateTensors()
    {
        var tensors = new List<(string, Tensor)>();
        tensors.AddRange(model.state_dict().Select(kv => (kv.Key, kv.Value)));
        tensors.AddRange(proxy.PixelDecoder.state_dict().Select(kv => ("proxy_decoder." + kv.Key, kv.Value)));
        tensors.AddRange(discriminator.state_dict().Select(kv => ("discriminator." + kv.Key, kv.Value)));
        if (ema is not null) tensors.AddRange(ema.StateTensors("model_ema."));
        tensors.AddRange(optG.StateTensors("optimizer.g."));
        tensors.AddRange(optD.StateTensors("optimizer.d."));
        tensors.Add(("rng.frames", frames.get_state()));
        return tensors;
    }

    public IReadOnlyDictionary<string, string> StateMetadata() => new Dictionary<string, string>
    {
        ["sweettok_stage"] = "2",
        ["sweettok_codebook"] = options.LearnedCodebook ? "learned" : "language",
        ["sweettok_proxy"] = proxy.Description,
        ["lecam_real"] = lecam.LogitsReal.ToString("R", CultureInfo.InvariantCulture),
        ["lecam_fake"] = lecam.LogitsFake.ToString("R", CultureInfo.InvariantCulture),
    };

    public void LoadState(StateDict sd, string path)
    {
        if (sd.Metadata.GetValueOrDefault("sweettok_stage") is { } stage && stage != "2")
            throw new ConfigException($"checkpoint '{path}' is from SweetTok stage {stage}; this run trains stage 2 (pass it as init_from instead)");
        StateDictLoader.LoadInto(model, sd, path, skipPrefixes: TrainingStatePrefixes);
        StateDictLoader.LoadInto(proxy.PixelDecoder, sd, path, prefix: "proxy_decoder.");
        StateDictLoader.LoadInto(discriminator, sd, path, prefix: "discriminator.");
        ema?.LoadState(sd, "model_ema.");
        optG.LoadState(sd, "optimizer.g.");
        optD.LoadState(sd, "optimizer.d.");
        frames.set_state(sd["rng.frames"]);
        lecam.LogitsReal = double.Parse(sd.Metadata["lecam_real"], CultureInfo.InvariantCulture);
        lecam.LogitsFake = double.Parse(sd.Metadata["lecam_fake"], CultureInfo.InvariantCulture);
    }

    public IDisposable EvaluationWeights()
    {
        ema?.Apply(trained);
        SetModes(training: false);
        return new SweetTokTrainingObjective.Restore(() => ema?.Restore(trained.Select(p => p.Param)));
    }

    public Tensor Reconstruct(Tensor clip) => Forward(clip).clamp(Scalars.Of(-1.0), Scalars.Of(1.0));

    public void Dispose()
    {
        optG.Dispose();
        optD.Dispose();
        ema?.Dispose();
        frames.Dispose();
        discriminator.Dispose();
        spatialBooks.Dispose();
        temporalBooks.Dispose();
        proxy.Dispose();
        model.Dispose();
    }
}
