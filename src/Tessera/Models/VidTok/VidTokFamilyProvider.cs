using Tessera.Checkpoints.Hub;
using System.Diagnostics.CodeAnalysis;

namespace Tessera.Models.VidTok;

/// <summary>VidTok's registration: its 23 presets, official YAML configs, Tessera model files and official checkpoints.</summary>
internal sealed class VidTokFamilyProvider : ModelFamilyProvider
{
    public const string FamilyName = "vidtok";

    public override string Name => FamilyName;

    public override bool TryResolve(string model, [NotNullWhen(true)] out ModelConfig? config)
    {
        config = null;
        if (VidTokPresets.TryGet(model, out var preset)) config = preset;
        else if (File.Exists(model) && Path.GetExtension(model).ToLowerInvariant() is ".yaml" or ".yml") config = VidTokYaml.Load(model);
        return config is not null;
    }

    public override string StreamingModels => "causal v1.0 and causal v1.1";

    public override string? OfficialWeightsSource(string preset) =>
        OfficialCheckpoint(preset) is { } file ? $"download {preset}.ckpt from Hugging Face (microsoft/VidTok, folder {Path.GetDirectoryName(file.Path)}/)" : null;

    // v1.1 checkpoints sit in their own folder of the Hub repository (the VidTok README links them there).
    public override HubFile? OfficialCheckpoint(string preset) =>
        VidTokPresets.TryGet(preset, out var config)
            ? new HubFile("microsoft/VidTok", HubFile.DefaultRevision, config.Family == VidTokFamily.CausalV1_1 ? $"checkpoints/vidtok_v1_1/{preset}.ckpt" : $"checkpoints/{preset}.ckpt")
            : null;

    public override (double Psnr, string Source)? PublishedPsnr(string name) => VidTokPublishedQuality.For(name);

    public override IReadOnlyList<(string Name, string Description)> Presets =>
        VidTokPresets.Names.Select(n => (n, VidTokPresets.GetDescription(n))).ToArray();

    public override IReadOnlyList<string> ClosestNames(string model) => VidTokPresets.ClosestNames(model);

    public override string WriteConfig(ModelConfig config) => VidTokConfigJson.Serialize(Own(config));

    public override ModelConfig ReadConfig(string json, string where) => VidTokConfigJson.Deserialize(json, where);

    public override TokenizerModel Create(ModelConfig config) => new VidTokModel(Own(config));

    public override void LoadWeights(TokenizerModel model, string path, bool useEma) =>
        VidTokWeights.Load(model as VidTokModel ?? throw new ArgumentException($"not a VidTok model: {model.GetType().Name}", nameof(model)), path, useEma);

    /// <inheritdoc/>
    public override void LoadWeights(TokenizerModel model, Checkpoints.StateDict source, string path, bool useEma) =>
        VidTokWeights.Load(model as VidTokModel ?? throw new ArgumentException($"not a VidTok model: {model.GetType().Name}", nameof(model)), source, path, useEma);

    public override IEnumerable<(string Label, string Text)> Describe(ModelConfig config)
    {
        var c = Own(config);
        yield return ("layout", $"ch {c.Ch}, ch_mult [{string.Join(", ", c.ChMult)}], num_res_blocks {c.NumResBlocks}, norm {c.NormType}, temporal upsampling {c.InterpolationMode}");
        yield return ("bottleneck", c.Regularizer switch
        {
            FsqBottleneck f => $"FSQ levels [{string.Join(", ", f.Levels)}] = {f.CodebookSize:N0} codes",
            KlBottleneck k => $"KL, {k.Channels} channels",
            _ => "?",
        });
    }

    // Files without frame metadata (written by other tools) decode every frame the latents give.
    public override (int Frames, int LeadingFrames)? FramesWithoutMetadata(ModelConfig config, IReadOnlyDictionary<string, long[]> shapes, int? frames)
    {
        var c = Own(config);
        // tokens [T', H', W'], latents [C, T', H', W']
        var latentFrames = shapes.TryGetValue(VidTokCard.TokensGroup, out var t) && t.Length > 0 ? (int)t[0]
            : shapes.TryGetValue("latents", out var l) && l.Length > 1 ? (int)l[1] : 0;
        var all = frames ?? (c.Family == VidTokFamily.CausalV1_0
            ? 1 + (latentFrames - 1) * c.TimeDownsampleFactor
            : latentFrames * c.Compression.Time);
        var leading = c.Family == VidTokFamily.CausalV1_1 ? Math.Max(0, c.TimeDownsampleFactor * latentFrames - all) : 0;
        return (all, leading);
    }

    public override ConversionResult Convert(ConversionRequest request)
    {
        if (request.Inputs.Count > 0)
            throw new ConfigException($"VidTok models take no {string.Join(", ", request.Inputs.Keys.Select(k => "--" + k))}");
        var config = request.ConfigFile is not null ? VidTokYaml.Load(request.ConfigFile) : VidTokPresets.Get(request.Preset!);
        using var model = new VidTokModel(config);
        request.Progress?.Invoke($"reading {request.Checkpoint}");
        VidTokWeights.Load(model, request.Checkpoint, request.UseEma);
        VidTokWeights.Save(request.Output, model, new Dictionary<string, string>
        {
            ["converted_from"] = Path.GetFileName(request.Checkpoint),
            ["weights"] = request.UseEma ? "ema" : "model",
        });
        return new ConversionResult(config, model.parameters().Sum(p => p.numel()));
    }

    /// <summary>For VidTok-only callers (training): the VidTok config a model argument names.</summary>
    public static (VidTokConfig Config, string? Weights) Resolve(string model) => ModelFamilies.Resolve(model) switch
    {
        (VidTokConfig c, var weights) => (c, weights),
        var (other, _) => throw new ConfigException($"model '{model}' is a {other.FamilyName} model; this needs a VidTok model"),
    };

    public override Tessera.Training.ITrainingObjective CreateTrainingObjective(Tessera.Training.TrainingContext context) =>
        new VidTokTrainingObjective(context);

    public override Tessera.Training.TrainConfig ReadTrainConfig(string path) => VidTokTrainYaml.Load(path);

    public override void ValidateTraining(Tessera.Training.TrainConfig config)
    {
        Own(config.Model).Validate();
        var c = Own(config.Model).Compression;
        if (config.Clip.Size % c.Height != 0) throw new ConfigException($"clip size {config.Clip.Size} is not divisible by the model's spatial factor {c.Height}");
    }

    public override string DescribeForTraining(ModelConfig config) => VidTokPresets.Describe(Own(config));

    private static VidTokConfig Own(ModelConfig config) =>
        config as VidTokConfig ?? throw new ConfigException($"model '{config.Name}' is a {config.FamilyName} model, not VidTok");
}
