using Tessera.Checkpoints;
using Tessera.Models.VidTok;

namespace Tessera.Inference;

public sealed partial class VideoTokenizer
{
    /// <summary>
    /// Loads a tokenizer. <paramref name="model"/> is a Tessera model file (.safetensors whose metadata holds
    /// the config; its own weights are used unless <paramref name="weights"/> is given), a preset name such as
    /// <c>vidtok_fsq_causal_488_32768_v1_1</c>, or an official VidTok YAML config. Presets and YAML configs need
    /// <paramref name="weights"/>: a Tessera model file, an official Lightning .ckpt, or a plain state dict.
    /// </summary>
    public static VideoTokenizer Load(string model, string? weights = null, TokenizerOptions? options = null, bool useEma = false)
    {
        var (config, defaultWeights) = ResolveModel(model);
        var weightsPath = weights ?? defaultWeights
            ?? throw new ConfigException($"model '{model}' names a configuration only; give the weights file (official .ckpt or Tessera .safetensors)");
        var network = new VidTokModel(config);
        try
        {
            VidTokWeights.Load(network, weightsPath, useEma);
            return new VideoTokenizer(network, options);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The config a model argument names, and the weights it carries (Tessera model files only).</summary>
    public static (VidTokConfig Config, string? Weights) ResolveModel(string model)
    {
        if (VidTokPresets.TryGet(model, out var preset)) return (preset, null);
        if (File.Exists(model))
        {
            var ext = Path.GetExtension(model).ToLowerInvariant();
            if (ext is ".yaml" or ".yml") return (VidTokYaml.Load(model), null);
            if (ext == ".safetensors")
                return (VidTokWeights.ReadConfig(model)
                    ?? throw new CheckpointFormatException($"model file '{model}' has no 'model_config' metadata; convert it with 'tessera convert' or pass a preset/--config and --weights"), model);
            throw new ConfigException($"model '{model}': expected a preset name, a .yaml config or a .safetensors model file");
        }
        if (model.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || model.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || model.Contains('/'))
            throw new ConfigException($"model file '{model}' does not exist");
        var near = VidTokPresets.ClosestNames(model);
        throw new ConfigException($"unknown model '{model}': not a file and not a preset (closest presets: {string.Join(", ", near)}; 'tessera presets' lists all)");
    }
}
