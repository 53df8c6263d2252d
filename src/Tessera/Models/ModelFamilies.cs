using Tessera.Checkpoints;
using Tessera.Configs;
using Tessera.Models.SweetTok;
using Tessera.Models.VidTok;

namespace Tessera.Models;

/// <summary>
/// The registered model families, and what the family-neutral layers do through them: resolve a model argument,
/// build and load a model, and read or write the config a model or token file carries in its metadata.
/// </summary>
internal static class ModelFamilies
{
    public const string FamilyKey = "model_family";
    public const string ConfigKey = "model_config";

    // One line per family. The first is also the family of files written before model_family was recorded.
    private static readonly ModelFamilyProvider[] Registered =
    [
        new VidTokFamilyProvider(),
        new SweetTokFamilyProvider(),
    ];

    public static IReadOnlyList<ModelFamilyProvider> All => Registered;

    public static ModelFamilyProvider Get(string name) =>
        Registered.FirstOrDefault(f => f.Name == name)
        ?? throw new ConfigException($"unknown model family '{name}' (known: {string.Join(", ", Registered.Select(f => f.Name))})");

    public static ModelFamilyProvider Of(ModelConfig config) => Get(config.FamilyName);

    /// <summary>The family file metadata names, or the first registered one when it names none.</summary>
    public static ModelFamilyProvider Of(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue(FamilyKey, out var name) ? Get(name) : Registered[0];

    /// <summary>Records the family, the config and the model name in file metadata.</summary>
    public static void WriteConfig(IDictionary<string, string> metadata, ModelConfig config)
    {
        metadata[FamilyKey] = config.FamilyName;
        metadata[ConfigKey] = Of(config).WriteConfig(config);
        metadata["model"] = config.Name;
    }

    /// <summary>The config recorded in file metadata, or null when there is none.</summary>
    public static ModelConfig? ReadConfig(IReadOnlyDictionary<string, string> metadata, string path) =>
        metadata.TryGetValue(ConfigKey, out var json) ? Of(metadata).ReadConfig(json, $"{path} (metadata '{ConfigKey}')") : null;

    /// <summary>The config a Tessera model file (.safetensors) records, or null when it records none.</summary>
    public static ModelConfig? ReadConfig(string modelFile) => ReadConfig(SafeTensorsFile.ReadHeader(modelFile).Metadata, modelFile);

    public static TokenizerModel Create(ModelConfig config) => Of(config).Create(config);

    /// <summary>Builds the model and loads <paramref name="weights"/> strictly into it.</summary>
    public static TokenizerModel Load(ModelConfig config, string weights, bool useEma = false)
    {
        var family = Of(config);
        var model = family.Create(config);
        try
        {
            family.LoadWeights(model, weights, useEma);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="Load"/>'s asynchronous twin: <paramref name="weights"/> is read with asynchronous reads
    /// (<see cref="CheckpointReader.ReadAsync"/>), then the model is built and loaded synchronously.
    /// </summary>
    public static async Task<TokenizerModel> LoadAsync(ModelConfig config, string weights, bool useEma = false, CancellationToken cancellationToken = default)
    {
        var family = Of(config);
        if (!File.Exists(weights)) throw new CheckpointFormatException($"weights file '{weights}' does not exist");
        using var source = await CheckpointReader.ReadAsync(weights, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var model = family.Create(config);
        try
        {
            family.LoadWeights(model, source, weights, useEma);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The config a model argument names, and the weights it carries (Tessera model files only): a preset name or
    /// config file some family reads, or a Tessera model file whose metadata holds its config.
    /// </summary>
    public static (ModelConfig Config, string? Weights) Resolve(string model)
    {
        if (ClaimingFamily(model) is { } owner && owner.TryResolve(model, out var claimed)) return (claimed, null);
        foreach (var family in Registered)
            if (family.TryResolve(model, out var config)) return (config, null);
        if (File.Exists(model))
        {
            if (Path.GetExtension(model).Equals(".safetensors", StringComparison.OrdinalIgnoreCase))
                return (ReadConfig(model)
                    ?? throw new CheckpointFormatException($"model file '{model}' has no '{ConfigKey}' metadata; convert it with 'tessera convert' or pass a preset/--config and --weights"), model);
            throw new ConfigException($"model '{model}': expected a preset name, a .yaml config or a .safetensors model file");
        }
        if (model.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || model.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || model.Contains('/'))
            throw new ConfigException($"model file '{model}' does not exist");
        var near = Registered.SelectMany(f => f.ClosestNames(model)).Take(3);
        var bundled = BundledModelFolder.All().Select(m => m.Name).ToList();
        var shipped = bundled.Count == 0 ? "no bundled models" : $"bundled: {string.Join(", ", bundled)}";
        throw new ConfigException($"unknown model '{model}': not a file, a bundled model or a preset ({shipped}; closest presets: {string.Join(", ", near)}; " +
                                  "'tessera info' lists the bundled models, 'tessera presets' the presets)");
    }

    /// <summary>Whether a name is a preset of a registered family.</summary>
    public static bool IsPreset(string name) => Registered.Any(f => f.Presets.Any(p => p.Name == name));

    /// <summary>How to download the official checkpoint of a preset name, from the family that knows it; null if none does.</summary>
    public static string? OfficialWeightsSource(string preset) =>
        Registered.Select(f => f.OfficialWeightsSource(preset)).FirstOrDefault(s => s is not null);

    /// <summary>The Hub file of a preset's official checkpoint, from the family that knows it; null if none does.</summary>
    public static Tessera.Checkpoints.Hub.HubFile? OfficialCheckpoint(string preset) =>
        Registered.Select(f => f.OfficialCheckpoint(preset)).FirstOrDefault(s => s is not null);

    /// <summary>
    /// The family that converts official weights described by <paramref name="configFile"/> (the family whose marker
    /// keys it carries, else the first registered) or by <paramref name="preset"/>.
    /// </summary>
    public static ModelFamilyProvider ForConversion(string? configFile, string? preset)
    {
        if (configFile is not null)
        {
            if (!File.Exists(configFile)) throw new ConfigException($"config file '{configFile}' does not exist");
            return ClaimingFamily(configFile) ?? Registered[0];
        }
        foreach (var family in Registered)
            if (family.TryResolve(preset!, out _)) return family;
        var near = Registered.SelectMany(f => f.ClosestNames(preset!)).Take(3);
        throw new ConfigException($"unknown preset '{preset}' (closest presets: {string.Join(", ", near)}; 'tessera presets' lists all)");
    }

    /// <summary>The family a training config file belongs to: the one whose marker keys it carries, else the first registered.</summary>
    public static ModelFamilyProvider ForTrainingConfig(string path) => ClaimingFamily(path) ?? Registered[0];

    // The family whose marker keys a YAML config file carries; null for other files and unclaimed configs.
    private static ModelFamilyProvider? ClaimingFamily(string path)
    {
        if (!File.Exists(path) || Path.GetExtension(path).ToLowerInvariant() is not (".yaml" or ".yml")) return null;
        var document = ConfigDocument.Load(path);
        return Registered.FirstOrDefault(f => f.ClaimsConfig(document));
    }
}
