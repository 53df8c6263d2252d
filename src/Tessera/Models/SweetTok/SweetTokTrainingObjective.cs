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
/// SweetTok's stage 1 (spec §8.1): the whole model (queries, encoder, both MLC quantisers with their GCNs, pre/post-VQ,
/// decoder) learns to predict the frozen proxy's code ids: chunked cross-entropy of the decoder's logits + the MLC
/// quantiser losses × <see cref="SweetTokTrainingOptions.QuantizerWeight"/>. AdamW with the official groups (no decay
/// on 1-D, norm, bias, token and embedding parameters), warm-up + cosine, gradient clipping, EMA. The held-out
/// reconstruction is the argmax code per position decoded by the proxy. Stage 0, the spatial pre-training that
/// starts the curriculum (spec §8.1 step 0), is the same objective on single frames (T = 1): the spatial queries,
/// encoder branch, adjective/noun quantiser and decoder learn the proxy's codes of one image, the temporal branch,
/// adverb/verb quantiser and decoder temporal blocks are skipped (and keep their initial weights for stage 1).
/// </summary>
internal sealed class SweetTokTrainingObjective : ITrainingObjective
{
    private static readonly string[] Columns = ["total", "ce", "quantizer_loss", "commitment", "codebook", "accuracy", "lr", "grad_norm", "sec_per_step"];
    private static readonly string[] NoDecayNames = ["ln", "bias", "latent_tokens", "mask_token", "embedding", "norm", "gamma"];
    private static readonly string[] TrainingStatePrefixes = ["model_ema.", "optimizer.", "rng.", LearnedCodebooks.Prefix];

    private readonly TrainConfig config;
    private readonly SweetTokTrainingOptions options;
    private readonly TrainingGuard guard;
    private readonly SweetTokModel model;
    private readonly ISweetTokProxy proxy;
    private readonly OfficialPrior spatialPrior;
    private readonly OfficialPrior temporalPrior;
    private readonly Adam optimizer;
    private readonly Ema? ema;
    private readonly Generator dropout;
    private readonly bool spatialOnly;
    private readonly LearnedCodebooks? learned;

    public SweetTokTrainingObjective(TrainingContext context)
    {
        config = context.Config;
        guard = context.Guard;
        options = config.Family as SweetTokTrainingOptions ?? new SweetTokTrainingOptions();
        var modelConfig = (SweetTokConfig)config.Model;
        if (options.Stage is not (0 or 1)) throw new ConfigException($"SweetTok stage 0/1 objective given stage {options.Stage}");
        spatialOnly = options.Stage == 0;
        if (config.FixEncoder || config.FixDecoder)
            throw new ConfigException("SweetTok's stages decide what is frozen (fix_encoder/fix_decoder and finetune --stage2 are VidTok's); set tessera.stage: 2");
        var frames = spatialOnly ? 1 : modelConfig.Frames;
        if (config.Clip.Size != modelConfig.ImageSize || config.Clip.Frames != frames)
            throw new ConfigException($"SweetTok model '{modelConfig.Name}' {(spatialOnly ? "pre-trains its spatial branch on" : "takes")} {frames} frame{(frames == 1 ? "" : "s")} of {modelConfig.ImageSize}x{modelConfig.ImageSize}; the training clip is {config.Clip.Frames} frames of {config.Clip.Size}x{config.Clip.Size}");
        if (options.CrossEntropyChunk <= 0) throw new ConfigException($"cross-entropy chunk must be positive, got {options.CrossEntropyChunk}");

        spatialPrior = LoadPrior(options.SpatialPrior, "spatial_prior", OfficialPriors.LoadSpatial);
        temporalPrior = LoadPrior(options.TemporalPrior, "temporal_prior", OfficialPriors.LoadTemporal);
        CheckPrior(spatialPrior, modelConfig.SpatialPriorDim, "spatial_prior", modelConfig.AdjectiveWords, modelConfig.NounWords, options.SpatialPrior!);
        CheckPrior(temporalPrior, modelConfig.TemporalPriorDim, "temporal_prior", modelConfig.AdverbWords, modelConfig.VerbWords, options.TemporalPrior!);

        context.Report($"proxy: {options.ProxyPath}");
        proxy = ISweetTokProxy.Load(options.ProxyPath, modelConfig);
        model = new SweetTokModel(modelConfig);
        Initialise(model, config.Seed);
        CheckGrid(proxy, modelConfig, frames);
        if (config.InitFrom is { } init)
        {
            context.Report($"initialising from {init}");
            var (loaded, total) = LoadMatching(model, init);
            context.Report($"initialised {loaded} of {total} weight tensors from {init} (the rest keep their initial values)");
        }

        if (options.LearnedCodebook)
        {
            learned = new LearnedCodebooks(spatialPrior, temporalPrior, modelConfig.EDim, config.Seed);
            context.Report("codebook: plain learned codebooks of the priors' sizes (the language-codebook ablation)");
        }
        var named = Trained().Select(p => ("model." + p.Name, p.Param)).ToList();
        var oneDimensional = named.Where(p => p.Item2.dim() <= 1).Select(p => p.Item1).ToHashSet(StringComparer.Ordinal);
        optimizer = new Adam(named, config.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay,
            name => !oneDimensional.Contains(name) && !NoDecayNames.Any(n => name.Contains(n, StringComparison.Ordinal)));
        if (config.EmaDecay is { } decay) ema = new Ema(Trained(), (float)decay);
        dropout = new Generator((ulong)config.Seed + 3);
    }

    public TokenizerModel Model => model;

    public IReadOnlyList<string> LogColumns => Columns;

    public bool ReducedPrecision => false;

    public Dictionary<string, double?> Step(Tensor clips, long step)
    {
        using var scope = NewDisposeScope();
        model.train();
        optimizer.LearningRate = CosineSchedule.At(step, config.LearningRate, options.EndLearningRate, options.WarmupSteps, config.MaxSteps);
        var targets = proxy.Targets(clips);

        using var q = Quantize(clips, dropout);
        var ce = ChunkedCrossEntropy.Compute(q.Logits, targets, options.CrossEntropyChunk);
        var quantizer = q.QuantizerLoss;
        var total = ce.add(options.QuantizerWeight * quantizer, Scalars.One);
        double totalValue = total.item<float>(), ceValue = ce.item<float>(), qValue = quantizer.item<float>();
        guard.EnsureFinite(step, false, "stage-1 loss", ("total", totalValue), ("ce", ceValue), ("quantizer_loss", qValue));

        optimizer.ZeroGrad();
        total.backward();
        var gNorm = GradClip.ClipGradNorm(optimizer.Parameters.Select(p => p.Param), config.GradClip);
        guard.EnsureFinite(step, false, "stage-1 gradient", ("grad_norm", gNorm));
        optimizer.Step();
        ema?.Update(Trained());

        using var accuracy = q.Logits.detach().argmax(1).eq(targets).to_type(ScalarType.Float32).mean();
        return new Dictionary<string, double?>
        {
            ["total"] = totalValue, ["ce"] = ceValue, ["quantizer_loss"] = qValue,
            ["commitment"] = q.CommitmentLoss.item<float>(), ["codebook"] = q.CodebookLoss.item<float>(),
            ["accuracy"] = accuracy.item<float>(), ["lr"] = optimizer.LearningRate, ["grad_norm"] = gNorm,
        };
    }

    /// <summary>Model weights, model_ema.*, optimizer.*, and the GCN dropout generator.</summary>
    public IEnumerable<(string Name, Tensor Value)> StateTensors()
    {
        var tensors = new List<(string, Tensor)>();
        tensors.AddRange(model.state_dict().Select(kv => (kv.Key, kv.Value)));
        if (learned is not null) tensors.AddRange(learned.state_dict().Select(kv => (LearnedCodebooks.Prefix + kv.Key, kv.Value)));
        if (ema is not null) tensors.AddRange(ema.StateTensors("model_ema."));
        tensors.AddRange(optimizer.StateTensors("optimizer."));
        tensors.Add(("rng.gcn_dropout", dropout.get_state()));
        return tensors;
    }

    public IReadOnlyDictionary<string, string> StateMetadata() => new Dictionary<string, string>
    {
        ["sweettok_stage"] = options.Stage.ToString(CultureInfo.InvariantCulture),
        ["sweettok_codebook"] = learned is null ? "language" : "learned",
        ["sweettok_proxy"] = proxy.Description,
    };

    public void LoadState(StateDict sd, string path)
    {
        if (sd.Metadata.GetValueOrDefault("sweettok_stage") is { } stage && stage != options.Stage.ToString(CultureInfo.InvariantCulture))
            throw new ConfigException($"checkpoint '{path}' is from SweetTok stage {stage}; this run trains stage {options.Stage}");
        StateDictLoader.LoadInto(model, sd, path, skipPrefixes: TrainingStatePrefixes);
        if (learned is not null) StateDictLoader.LoadInto(learned, sd, path, prefix: LearnedCodebooks.Prefix);
        ema?.LoadState(sd, "model_ema.");
        optimizer.LoadState(sd, "optimizer.");
        dropout.set_state(sd["rng.gcn_dropout"]);
    }

    public IDisposable EvaluationWeights()
    {
        var parameters = Trained().ToList();
        ema?.Apply(parameters);
        model.eval();
        return new Restore(() => ema?.Restore(parameters.Select(p => p.Param)));
    }

    public Tensor Reconstruct(Tensor clip)
    {
        using var q = Quantize(clip, dropout: null);
        return proxy.Decode(q.Logits.argmax(1), (int)clip.shape[2]);
    }

    // Clips [B, 3, T, H, W] in [-1, 1] → the decoder's logits and the quantiser losses, both branches (stage 1) or the
    // spatial one alone on single frames (stage 0). Codebooks refined with GCN dropout when a generator is given.
    private Quantized Quantize(Tensor clips, Generator? dropout)
    {
        using var scope = NewDisposeScope();
        using var spatialBooks = Books(model.SpatialQuantizer, spatialPrior.Graph, learned?.Adjective, learned?.Noun, dropout);
        Quantized result;
        if (spatialOnly)
        {
            using var s = model.SpatialQuantizer.forward(model.EncodeSpatialLatents(clips * 0.5), spatialBooks);
            result = new Quantized(model.DecodeSpatialLogits(s.Quantized), s.QuantizerLoss.alias(), s.CommitmentLoss.alias(), s.CodebookLoss.alias());
        }
        else
        {
            using var temporalBooks = Books(model.TemporalQuantizer, temporalPrior.Graph, learned?.Adverb, learned?.Verb, dropout);
            var (zs, zt) = model.EncodeLatents(clips * 0.5);
            using var s = model.SpatialQuantizer.forward(zs, spatialBooks);
            using var t = model.TemporalQuantizer.forward(zt, temporalBooks);
            result = new Quantized(model.DecodeLogits(s.Quantized, t.Quantized), s.QuantizerLoss.add(t.QuantizerLoss, Scalars.One),
                s.CommitmentLoss.add(t.CommitmentLoss, Scalars.One), s.CodebookLoss.add(t.CodebookLoss, Scalars.One));
        }
        scope.MoveToOuter(result.Logits, result.QuantizerLoss, result.CommitmentLoss, result.CodebookLoss);
        return result;
    }

    // One branch's codebooks: the ablation's learned rows, else the prior refined by the GCN (with dropout in training).
    private static MlcCodebooks Books(MlcQuantizer quantizer, WordGraph prior, Tensor? first, Tensor? second, Generator? dropout) =>
        first is not null && second is not null ? quantizer.FromRows(first, second)
        : dropout is null ? quantizer.Refine(prior) : quantizer.RefineForTraining(prior, dropout);

    // The trained parameters: the model's, and the learned codebooks of the ablation (named learned_codebook.*).
    private IEnumerable<(string Name, Parameter Param)> Trained() =>
        learned is null ? model.named_parameters() : model.named_parameters().Concat(learned.named_parameters().Select(p => (LearnedCodebooks.Prefix + p.name, p.parameter)));

    private sealed record Quantized(Tensor Logits, Tensor QuantizerLoss, Tensor CommitmentLoss, Tensor CodebookLoss) : IDisposable
    {
        public void Dispose()
        {
            foreach (var t in new[] { Logits, QuantizerLoss, CommitmentLoss, CodebookLoss }) t.Dispose();
        }
    }

    public void Dispose()
    {
        optimizer.Dispose();
        ema?.Dispose();
        learned?.Dispose();
        dropout.Dispose();
        proxy.Dispose();
        spatialPrior.Dispose();
        temporalPrior.Dispose();
        model.Dispose();
    }

    // The SweetTok layers draw their initial weights from libtorch's global generator; a run must not depend on
    // it, so every matrix is redrawn ViT-style (normal, std 0.02) from the run's seed and every bias zeroed. (The
    // reference's own scales, dim^-1/2 for the queries and tables and glorot for the GCN, were tried: docs/sweettok.md.)
    internal static void Initialise(SweetTokModel model, int seed)
    {
        using var generator = new Generator((ulong)seed);
        using var grad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.dim() >= 2) p.copy_(randn(p.shape, generator: generator) * 0.02);
            else if (name.EndsWith("bias", StringComparison.Ordinal)) p.zero_();
        }
    }

    // The decoder emits logits on its own grid (T', g, g) over its K codes; the proxy's ids must lie on the same grid
    // and range over the same K, or stage 1 would compare unrelated positions.
    internal static void CheckGrid(ISweetTokProxy proxy, SweetTokConfig c, int? frames = null)
    {
        if (proxy.CodebookSize != c.ProxyCodebookSize)
            throw new ConfigException($"proxy {proxy.Description} has {proxy.CodebookSize} codes but SweetTok model '{c.Name}' predicts {c.ProxyCodebookSize} (codebook_size / dec_output_size)");
        var t = frames ?? c.Frames;
        using var probe = zeros(new long[] { 1, 3, t, c.ImageSize, c.ImageSize });
        using var ids = proxy.Targets(probe);
        long[] want = [1, t == c.Frames ? c.LatentFrames : 1, c.GridSize, c.GridSize];
        if (!ids.shape.SequenceEqual(want))
            throw new ConfigException($"proxy {proxy.Description} puts a {t}x{c.ImageSize}x{c.ImageSize} clip on a {ids.shape[1]}x{ids.shape[2]}x{ids.shape[3]} token grid but SweetTok model '{c.Name}' decodes {want[1]}x{c.GridSize}x{c.GridSize} (frames 1 + (T-1)/temporal_patch_size, image_size/patch_size); choose sizes that agree");
    }

    // strict = False, as the reference loads its spatial pre-training checkpoint into a fresh model: every tensor
    // whose name and shape match is copied; a file that matches nothing is refused.
    internal static (int Loaded, int Total) LoadMatching(SweetTokModel model, string path)
    {
        if (!File.Exists(path)) throw new ConfigException($"init_from '{path}' does not exist");
        using var sd = SafeTensorsFile.Load(path);
        using var grad = no_grad();
        var target = model.state_dict();
        var loaded = 0;
        foreach (var (name, tensor) in target)
            if (sd.TryGetValue(name, out var source) && source.shape.SequenceEqual(tensor.shape))
            {
                tensor.copy_(source);
                loaded++;
            }
        if (loaded == 0) throw new CheckpointFormatException($"init_from '{path}' holds no tensor of this SweetTok model (names and shapes differ)");
        return (loaded, target.Count);
    }

    internal static OfficialPrior LoadPrior(string? path, string key, Func<string, OfficialPrior> load)
    {
        if (path is null) throw new ConfigException($"SweetTok training needs the word priors: set tessera.{key} (an official pickle or a 'tessera codebook build' file)");
        if (!File.Exists(path)) throw new ConfigException($"{key} '{path}' does not exist");
        return load(path);
    }

    internal static void CheckPrior(OfficialPrior prior, int dim, string key, int first, int second, string path)
    {
        if (prior.Graph.Features.shape[1] != dim)
            throw new ConfigException($"{key} '{path}' has {prior.Graph.Features.shape[1]}-wide word vectors; the model's GCN takes {dim} ({key}_dim)");
        if ((first > 0 && first != prior.FirstWords.Count) || (second > 0 && second != prior.SecondWords.Count))
            throw new ConfigException($"{key} '{path}' has {prior.FirstWords.Count} + {prior.SecondWords.Count} words; the model config records {first} + {second}");
    }

    internal sealed class Restore(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
