using System.Globalization;
using Tessera.Checkpoints;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// A SweetTok training checkpoint (<c>tessera train</c>, stage 1 or 2) → a self-describing model file: the network
/// (raw or EMA weights), the GCN-refined language codebooks and word lists from the run's priors, the VidTok-FSQ
/// proxy as the pixel path (stage 2: with the decoder the run fine-tuned) and the training provenance.
/// </summary>
internal static class SweetTokTrainedExport
{
    public const string TrainingFormat = "tessera.train/1";

    private static readonly string[] TrainingStatePrefixes = ["model_ema.", "optimizer.", "rng.", "proxy_decoder.", "discriminator."];

    /// <summary>Whether <paramref name="path"/> is a Tessera training checkpoint (safetensors with the training format).</summary>
    public static bool IsTrainingCheckpoint(string path) =>
        File.Exists(path) && Path.GetExtension(path).Equals(".safetensors", StringComparison.OrdinalIgnoreCase)
        && SafeTensorsFile.ReadHeader(path).Metadata.GetValueOrDefault("format") == TrainingFormat;

    public static ConversionResult Export(ConversionRequest request, string spatialPath, string temporalPath, string proxyPath)
    {
        var checkpoint = request.Checkpoint;
        using var sd = SafeTensorsFile.Load(checkpoint);
        var saved = ModelFamilies.ReadConfig(sd.Metadata, checkpoint) as SweetTokConfig
            ?? throw new CheckpointFormatException($"training checkpoint '{checkpoint}' does not record a SweetTok model configuration");
        var stage = sd.Metadata.GetValueOrDefault("sweettok_stage") ?? "1";
        if (sd.Metadata.GetValueOrDefault("sweettok_codebook") == "learned" || sd.Keys.Any(k => k.StartsWith(LearnedCodebooks.Prefix, StringComparison.Ordinal)))
            throw new ConfigException($"training checkpoint '{checkpoint}' is from the learned-codebook ablation (tessera.codebook: learned): its codes are no words, so it is evaluated by its run (eval_log.csv) and not converted into a model file");
        if (stage == "0")
            throw new ConfigException($"training checkpoint '{checkpoint}' is a spatial pre-training (stage 0: single frames, no temporal branch trained); start stage 1 from it (experiment.init_weight) and convert that run's checkpoint");
        if (request.UseEma && !sd.Keys.Any(k => k.StartsWith("model_ema.", StringComparison.Ordinal)))
            throw new ConfigException($"training checkpoint '{checkpoint}' keeps no EMA weights (the run had no ema_decay); convert it without --ema");

        request.Progress?.Invoke($"reading priors {spatialPath} and {temporalPath}");
        using var spatial = SweetTokTrainingObjective.LoadPrior(spatialPath, "spatial_prior", OfficialPriors.LoadSpatial);
        using var temporal = SweetTokTrainingObjective.LoadPrior(temporalPath, "temporal_prior", OfficialPriors.LoadTemporal);
        SweetTokTrainingObjective.CheckPrior(spatial, saved.SpatialPriorDim, "spatial_prior", saved.AdjectiveWords, saved.NounWords, spatialPath);
        SweetTokTrainingObjective.CheckPrior(temporal, saved.TemporalPriorDim, "temporal_prior", saved.AdverbWords, saved.VerbWords, temporalPath);
        // The model takes the name of the config convert was given (a run's stage-2 copy is named after its stage).
        var config = saved with
        {
            Name = request.ConfigFile is { } file ? Path.GetFileNameWithoutExtension(file) : saved.Name,
            AdjectiveWords = spatial.FirstWords.Count,
            NounWords = spatial.SecondWords.Count,
            AdverbWords = temporal.FirstWords.Count,
            VerbWords = temporal.SecondWords.Count,
        };

        var proxy = ISweetTokProxy.Load(proxyPath, config);
        // An OmniTokenizer proxy becomes the model's own pixel path (pixel_* weights, the official stage-2 layout); a
        // VidTok-FSQ proxy is attached and stored beside the model (proxy.*).
        var omni = proxy as OmniTokenizerProxy;
        if (omni is not null) config = config with { FinetuneDecoder = true };
        var model = new SweetTokModel(config);
        try
        {
            SweetTokTrainingObjective.CheckGrid(proxy, config);
            if (stage == "2") StateDictLoader.LoadInto(proxy.PixelDecoder, sd, checkpoint, prefix: "proxy_decoder.");
            // The EMA names are the trained parameters' names without dots: stage 1 the model's own, stage 2
            // "model." and "proxy_decoder." ones (frozen parameters have no EMA copy and keep their values).
            if (request.UseEma && stage == "2") CopyEma(proxy.PixelDecoder, sd, "model_ema.proxy_decoder");
            if (omni is not null)
                foreach (var (name, value) in omni.PixelPathTensors()) sd.Add(name, value.detach().clone());
            StateDictLoader.LoadInto(model, sd, checkpoint, skipPrefixes: TrainingStatePrefixes);
            if (request.UseEma) CopyEma(model, sd, stage == "2" ? "model_ema.model" : "model_ema.");
            model.eval();
            request.Progress?.Invoke("refining the language codebooks (GCN over the priors)");
            model.RefineCodebooks(spatial.Graph, temporal.Graph);
            if (omni is null) model.AttachProxy(proxy, soft: stage == "2");
        }
        catch
        {
            if (model.PixelProxy is null) proxy.Dispose();
            model.Dispose();
            throw;
        }
        using var owned = model;
        using var unattached = omni;

        var words = new SweetTokVocabulary(spatial.FirstWords, spatial.SecondWords, temporal.FirstWords, temporal.SecondWords);
        SweetTokWeights.Save(request.Output, model, words, new Dictionary<string, string>
        {
            ["trained_from"] = Path.GetFullPath(checkpoint),
            ["training_step"] = sd.Metadata.GetValueOrDefault("step") ?? "",
            ["training_stage"] = stage,
            ["training_weights"] = request.UseEma ? "ema" : "raw",
            ["training_proxy"] = sd.Metadata.GetValueOrDefault("sweettok_proxy") ?? proxy.Description,
            ["training_config"] = request.ConfigFile is null ? "" : Path.GetFileName(request.ConfigFile),
            ["training_tessera_version"] = sd.Metadata.GetValueOrDefault("tessera_version") ?? "",
            ["spatial_prior"] = Path.GetFileName(spatialPath),
            ["temporal_prior"] = Path.GetFileName(temporalPath),
        });
        return new ConversionResult(config, model.parameters().Sum(p => p.numel()) + (omni is null ? proxy.PixelDecoder.parameters().Sum(p => p.numel()) : 0));
    }

    private static void CopyEma(nn.Module module, StateDict sd, string prefix)
    {
        using var grad = no_grad();
        foreach (var (name, p) in module.named_parameters())
            if (sd.TryGetValue(prefix + name.Replace(".", "", StringComparison.Ordinal), out var shadow))
            {
                if (!shadow.shape.SequenceEqual(p.shape))
                    throw new CheckpointFormatException($"EMA weight '{prefix}{name.Replace(".", "", StringComparison.Ordinal)}' is [{string.Join(", ", shadow.shape)}], the model needs [{string.Join(", ", p.shape)}]");
                p.copy_(shadow);
            }
    }
}
