using System.Diagnostics.CodeAnalysis;
using Tessera.Checkpoints;
using Tessera.Configs;
using Tessera.Inference;
using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// SweetTok's registration: its preset, official training YAMLs, Tessera model files (weights + language codebooks +
/// words) and conversion from the official checkpoint and word-prior pickles.
/// </summary>
internal sealed class SweetTokFamilyProvider : ModelFamilyProvider
{
    public const string FamilyName = "sweettok";
    public const string SpatialPriorInput = "spatial-prior";
    public const string TemporalPriorInput = "temporal-prior";
    public const string ProxyInput = "proxy";

    public override string Name => FamilyName;

    public override bool TryResolve(string model, [NotNullWhen(true)] out ModelConfig? config)
    {
        config = null;
        if (SweetTokPresets.TryGet(model, out var preset)) config = preset;
        else if (File.Exists(model) && Path.GetExtension(model).ToLowerInvariant() is ".yaml" or ".yml" && ClaimsConfig(ConfigDocument.Load(model)))
            config = SweetTokYaml.Load(model);
        return config is not null;
    }

    public override bool ClaimsConfig(ConfigDocument document) => SweetTokYaml.Claims(document);

    public override IReadOnlyList<(string Name, string Description)> Presets =>
        SweetTokPresets.Names.Select(n => (n, "SweetTok compact, official geometry (needs the priors: tessera convert)")).ToArray();

    public override Tessera.Training.ITrainingObjective CreateTrainingObjective(Tessera.Training.TrainingContext context) =>
        (context.Config.Family as SweetTokTrainingOptions)?.Stage switch
        {
            null or 0 or 1 => new SweetTokTrainingObjective(context),
            2 => new SweetTokStage2Objective(context),
            var s => throw new ConfigException($"SweetTok training stage {s} does not exist (0: spatial pre-training on single frames, 1: proxy codes, 2: pixels)"),
        };

    public override Tessera.Training.TrainConfig ReadTrainConfig(string path) => SweetTokTrainYaml.Load(path);

    // Stage 0 trains on single frames; its objective checks the clip.
    public override bool AcceptsTrainingFrames(Tessera.Training.TrainConfig config) =>
        config.Family is SweetTokTrainingOptions { Stage: 0 } || base.AcceptsTrainingFrames(config);

    public override void ValidateTraining(Tessera.Training.TrainConfig config) => Own(config.Model).Validate();

    public override string DescribeForTraining(ModelConfig config)
    {
        var c = Own(config);
        return $"SweetTok, {c.NumSpatialLatentTokens} spatial + {c.NumTemporalLatentTokens} temporal queries, {c.ProxyCodebookSize} proxy codes";
    }

    public override string WriteConfig(ModelConfig config) => SweetTokConfigJson.Serialize(Own(config));

    public override ModelConfig ReadConfig(string json, string where) => SweetTokConfigJson.Deserialize(json, where);

    /// <summary>A model with random weights; when the config names a vocabulary, random codebooks of its sizes.</summary>
    public override TokenizerModel Create(ModelConfig config)
    {
        var c = Own(config);
        var model = new SweetTokModel(c);
        if (c.AdjectiveWords > 0)
        {
            using var noGrad = no_grad();
            Tensor Rows(int n) => randn(n, c.EDim).mul_(Scalars.Of(0.1)).DetachFromDisposeScope();
            model.SetCodebooks(new MlcCodebooks(Rows(c.AdjectiveWords), Rows(c.NounWords)), new MlcCodebooks(Rows(c.AdverbWords), Rows(c.VerbWords)));
        }
        return model;
    }

    public override void LoadWeights(TokenizerModel model, string path, bool useEma) =>
        SweetTokWeights.Load(model as SweetTokModel ?? throw new ArgumentException($"not a SweetTok model: {model.GetType().Name}", nameof(model)), path, useEma);

    /// <inheritdoc/>
    public override void LoadWeights(TokenizerModel model, Checkpoints.StateDict source, string path, bool useEma) =>
        SweetTokWeights.Load(model as SweetTokModel ?? throw new ArgumentException($"not a SweetTok model: {model.GetType().Name}", nameof(model)), source, path, useEma);

    public override IEnumerable<(string Label, string Text)> Describe(ModelConfig config)
    {
        var c = Own(config);
        yield return ("layout", $"dim {c.Dim}, {c.Heads} heads x {c.DimHead}, enc_block {c.EncBlock}, dec_block {c.DecBlock}, temporal depth {c.TemporalDepth}, window {c.WindowSize}");
        yield return ("queries", $"{c.NumSpatialLatentTokens} spatial, {c.NumTemporalLatentTokens} temporal; MLC e_dim {c.EDim}, top-{c.TopK}");
        yield return ("vocabulary", c.AdjectiveWords > 0
            ? $"{c.AdjectiveWords:N0} adjectives, {c.NounWords:N0} nouns, {c.AdverbWords:N0} adverbs, {c.VerbWords:N0} verbs"
            : "none (convert with the word priors)");
        yield return ("pixel path", c.FinetuneDecoder
            ? $"proxy pixel decoder {c.PixBlock}, dim {c.PixDim}, {c.ProxyCodebookSize:N0} proxy codes x {c.ProxyCodeDim}"
            : $"logits over {c.ProxyCodebookSize:N0} proxy codes (decoded by the VidTok-FSQ proxy the model file carries, if any)");
    }

    public override IReadOnlyList<(string Name, string Description)> ConversionInputs =>
    [
        (SpatialPriorInput, "SweetTok: adjective/noun prior: the official pickle (adj_noun_word_knowledge_*.pkl) or a `codebook build` file"),
        (TemporalPriorInput, "SweetTok: adverb/verb prior: the official pickle (big_nlp_word_knowledge_*.pkl) or a `codebook build` file"),
        (ProxyInput, "SweetTok: OmniTokenizer checkpoint whose decoder becomes the pixel path of a stage-1 checkpoint (for a Tessera training checkpoint: the VidTok-FSQ proxy, default the training config's)"),
    ];

    public override ConversionResult Convert(ConversionRequest request)
    {
        if (SweetTokTrainedExport.IsTrainingCheckpoint(request.Checkpoint)) return ConvertTrained(request);
        var config = request.ConfigFile is not null ? SweetTokYaml.Load(request.ConfigFile) : SweetTokPresets.Get(request.Preset!);
        var proxy = request.Inputs.GetValueOrDefault(ProxyInput);
        if (proxy is not null) config = config with { FinetuneDecoder = true };
        var spatialPath = request.Require(SpatialPriorInput, "SweetTok's adjective/noun codebook is built from it");
        var temporalPath = request.Require(TemporalPriorInput, "SweetTok's adverb/verb codebook is built from it");
        request.Progress?.Invoke($"reading priors {spatialPath} and {temporalPath}");
        using var spatial = OfficialPriors.LoadSpatial(spatialPath);
        using var temporal = OfficialPriors.LoadTemporal(temporalPath);
        config = config with
        {
            SpatialPriorDim = (int)spatial.Graph.Features.shape[1],
            TemporalPriorDim = (int)temporal.Graph.Features.shape[1],
            AdjectiveWords = spatial.FirstWords.Count,
            NounWords = spatial.SecondWords.Count,
            AdverbWords = temporal.FirstWords.Count,
            VerbWords = temporal.SecondWords.Count,
        };
        try
        {
            config.Validate();
        }
        catch (ConfigException e)
        {
            throw new ConfigException($"priors {spatialPath} / {temporalPath}: {e.Message}", e);
        }

        using var model = new SweetTokModel(config);
        request.Progress?.Invoke($"reading {request.Checkpoint}");
        if (request.UseEma) throw new ConfigException($"weights '{request.Checkpoint}': SweetTok checkpoints keep no EMA copy inside; pass the EMA weights file itself");
        if (!File.Exists(request.Checkpoint)) throw new CheckpointFormatException($"weights file '{request.Checkpoint}' does not exist");
        using (var weights = CheckpointReader.Read(request.Checkpoint))
        {
            if (proxy is not null) SweetTokWeights.AddProxy(weights, request.Checkpoint, proxy);
            StateDictLoader.LoadInto(model, weights, request.Checkpoint);
        }
        model.eval();
        request.Progress?.Invoke("refining the language codebooks (GCN over the priors)");
        model.RefineCodebooks(spatial.Graph, temporal.Graph);
        var words = new SweetTokVocabulary(spatial.FirstWords, spatial.SecondWords, temporal.FirstWords, temporal.SecondWords);
        SweetTokWeights.Save(request.Output, model, words, new Dictionary<string, string>
        {
            ["converted_from"] = Path.GetFileName(request.Checkpoint),
            ["spatial_prior"] = Path.GetFileName(spatialPath),
            ["temporal_prior"] = Path.GetFileName(temporalPath),
        });
        return new ConversionResult(config, model.parameters().Sum(p => p.numel()));
    }

    // A Tessera training checkpoint: the priors and the proxy come from the run's training YAML (--spatial-prior,
    // --temporal-prior and --proxy override them).
    private static ConversionResult ConvertTrained(ConversionRequest request)
    {
        if (request.ConfigFile is null)
            throw new ConfigException($"training checkpoint '{request.Checkpoint}': give the run's training config (--config), which names its priors and proxy");
        var options = SweetTokTrainYaml.Load(request.ConfigFile).Family as SweetTokTrainingOptions ?? new SweetTokTrainingOptions();
        string Input(string name, string? fromYaml, string key) => request.Inputs.GetValueOrDefault(name) ?? fromYaml
            ?? throw new ConfigException($"training config '{request.ConfigFile}' names no tessera.{key}; give --{name}");
        return SweetTokTrainedExport.Export(request,
            Input(SpatialPriorInput, options.SpatialPrior, "spatial_prior"),
            Input(TemporalPriorInput, options.TemporalPrior, "temporal_prior"),
            request.Inputs.GetValueOrDefault(ProxyInput) ?? options.ProxyPath);
    }

    public override bool HasWords => true;

    public override IReadOnlyList<PhraseGroup>? Words(TokenIds code, int clip, IReadOnlyDictionary<string, string> modelMetadata, string modelFile)
    {
        var vocabulary = SweetTokVocabulary.ReadFrom(modelMetadata, modelFile)
            ?? throw new CheckpointFormatException($"model file '{modelFile}' records no words (metadata '{SweetTokVocabulary.MetadataPrefix}*'); convert it with its priors");
        vocabulary.Check(Own(code.Config), modelFile);
        return
        [
            Phrases("spatial", "adjective adjective noun", code[SweetTokCard.Adjective][clip], code[SweetTokCard.Noun][clip], vocabulary.Adjectives, vocabulary.Nouns),
            Phrases("temporal", "adverb adverb verb", code[SweetTokCard.Adverb][clip], code[SweetTokCard.Verb][clip], vocabulary.Adverbs, vocabulary.Verbs),
        ];

        static PhraseGroup Phrases(string name, string pattern, Tensor first, Tensor second, IReadOnlyList<string> firstWords, IReadOnlyList<string> secondWords)
        {
            var k = (int)first.shape[1];
            using var firstIds = first.to_type(ScalarType.Int32).contiguous();
            using var secondIds = second.to_type(ScalarType.Int32).contiguous();
            var a = firstIds.data<int>().ToArray();
            var n = secondIds.data<int>().ToArray();
            var phrases = Enumerable.Range(0, n.Length)
                .Select(i => new WordPhrase(i, a.Skip(i * k).Take(k).Select(j => firstWords[j]).Append(secondWords[n[i]]).ToArray()))
                .ToArray();
            return new PhraseGroup(name, pattern, phrases);
        }
    }

    /// <summary>For SweetTok-only callers: the SweetTok config a model argument names.</summary>
    public static (SweetTokConfig Config, string? Weights) Resolve(string model) => ModelFamilies.Resolve(model) switch
    {
        (SweetTokConfig c, var weights) => (c, weights),
        var (other, _) => throw new ConfigException($"model '{model}' is a {other.FamilyName} model; this needs a SweetTok model"),
    };

    private static SweetTokConfig Own(ModelConfig config) =>
        config as SweetTokConfig ?? throw new ConfigException($"model '{config.Name}' is a {config.FamilyName} model, not SweetTok");
}
