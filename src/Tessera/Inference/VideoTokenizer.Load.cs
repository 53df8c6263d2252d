using Tessera.Models;

namespace Tessera.Inference;

public sealed partial class VideoTokenizer
{
    /// <summary>
    /// Loads a tokenizer. <paramref name="model"/> is a Tessera model file (.safetensors whose metadata holds
    /// the family and config; its own weights are used unless <paramref name="weights"/> is given), a preset name
    /// such as <c>vidtok_fsq_causal_488_32768_v1_1</c>, or a config file a registered family reads (an official
    /// VidTok YAML config). Presets and config files need <paramref name="weights"/>: a Tessera model file, an
    /// official checkpoint, or a plain state dict.
    /// </summary>
    /// <returns>A tokenizer that owns the model's weights; dispose it when done.</returns>
    /// <exception cref="ConfigException">The model name, config file or options are unknown or inconsistent, or weights are missing.</exception>
    /// <exception cref="CheckpointFormatException">The weights file is malformed or does not fit the model.</exception>
    public static VideoTokenizer Load(string model, string? weights = null, TokenizerOptions? options = null, bool useEma = false)
    {
        var (config, defaultWeights) = ResolveModel(model);
        var weightsPath = weights ?? defaultWeights
            ?? throw new ConfigException($"model '{model}' names a configuration only; give the weights file (official checkpoint or Tessera .safetensors)");
        var network = ModelFamilies.Load(config, weightsPath, useEma);
        try
        {
            return new VideoTokenizer(network, options);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The config a model argument names, and the weights it carries (Tessera model files only).</summary>
    /// <exception cref="ConfigException">The argument is neither a model file, a preset nor a config file a family reads.</exception>
    public static (ModelConfig Config, string? Weights) ResolveModel(string model) => ModelFamilies.Resolve(model);
}
