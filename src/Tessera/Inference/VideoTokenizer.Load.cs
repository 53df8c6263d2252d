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

    /// <summary>
    /// <see cref="Load"/>'s asynchronous twin, for hosts that must not block a thread on disk reads: the weights file is
    /// read with asynchronous reads (safetensors model files; official checkpoints in other formats are parsed
    /// synchronously), then the network is built and loaded synchronously on the continuing thread, which is compute and
    /// not wrapped in <see cref="Task.Run(Action)"/>. <paramref name="cancellationToken"/> is checked between reads and
    /// before building; a cancelled load frees what it read and throws <see cref="OperationCanceledException"/>.
    /// The process-wide thread count is left as it is. Hub names (<c>hf:</c>, official presets without weights) are
    /// resolved by <see cref="Checkpoints.Hub.PretrainedModels.LoadAsync"/>, not here.
    /// </summary>
    /// <returns>A tokenizer the caller owns and disposes.</returns>
    /// <exception cref="ConfigException">The model names a configuration only and no weights were given, or the options do not fit it.</exception>
    /// <exception cref="CheckpointFormatException">The weights file is missing, unreadable, or does not fit the model.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<VideoTokenizer> LoadAsync(string model, string? weights = null, TokenizerOptions? options = null, bool useEma = false,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (config, defaultWeights) = ResolveModel(model);
        var weightsPath = weights ?? defaultWeights
            ?? throw new ConfigException($"model '{model}' names a configuration only; give the weights file (official checkpoint or Tessera .safetensors)");
        var network = await ModelFamilies.LoadAsync(config, weightsPath, useEma, cancellationToken).ConfigureAwait(false);
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
