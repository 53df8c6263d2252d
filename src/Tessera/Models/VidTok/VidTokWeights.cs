using Tessera.Checkpoints;

namespace Tessera.Models.VidTok;

/// <summary>
/// Reads VidTok weights from Tessera model files (safetensors with the config in metadata), official
/// Lightning checkpoints (.ckpt) or plain state dicts, and writes Tessera model files.
/// </summary>
internal static class VidTokWeights
{
    public const string Format = "tessera.model/1";

    /// <summary>Training-only entries: the loss network (LPIPS, discriminator, logvar), EMA copies, optimiser and RNG state.</summary>
    public static readonly IReadOnlyList<string> SkippedPrefixes = ["loss.", "model_ema.", "optimizer.", "rng."];

    /// <summary>
    /// Loads <c>encoder.*</c> and <c>decoder.*</c> strictly into <paramref name="model"/>; <c>loss.*</c> is skipped.
    /// With <paramref name="useEma"/>, the LitEma copies (<c>model_ema.*</c>) are loaded instead and must exist.
    /// </summary>
    public static void Load(VidTokModel model, string path, bool useEma = false)
    {
        if (!File.Exists(path)) throw new CheckpointFormatException($"weights file '{path}' does not exist");
        using var source = CheckpointReader.Read(path);
        Load(model, source, path, useEma);
    }

    /// <summary>As <see cref="Load(VidTokModel, string, bool)"/>, from weights already read from <paramref name="path"/> (still the caller's).</summary>
    public static void Load(VidTokModel model, StateDict source, string path, bool useEma = false)
    {
        if (!useEma)
        {
            StateDictLoader.LoadInto(model, source, path, skipPrefixes: SkippedPrefixes);
            return;
        }
        var names = model.named_parameters().Select(p => p.name);
        using var ema = StateDictLoader.ExtractEma(source, names)
            ?? throw new CheckpointFormatException($"checkpoint '{path}' has no EMA weights (model_ema.*) for every parameter of the model");
        StateDictLoader.LoadInto(model, ema, $"{path} (EMA)");
    }

    /// <summary>True when <paramref name="source"/> carries LitEma weights for every parameter of <paramref name="model"/>.</summary>
    public static bool HasEma(VidTokModel model, StateDict source)
    {
        using var ema = StateDictLoader.ExtractEma(source, model.named_parameters().Select(p => p.name));
        return ema is not null;
    }

    /// <summary>The model config stored in a Tessera model file's metadata, or null when it has none.</summary>
    public static VidTokConfig? ReadConfig(string path) => ModelFamilies.ReadConfig(path) switch
    {
        null => null,
        VidTokConfig c => c,
        var other => throw new ConfigException($"model file '{path}' holds a {other.FamilyName} model, not VidTok"),
    };

    /// <summary>Writes the model's encoder and decoder weights with its config as metadata (atomic).</summary>
    public static void Save(string path, VidTokModel model, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["tessera_version"] = TesseraInfo.Version,
        };
        ModelFamilies.WriteConfig(meta, model.Config);
        if (extraMetadata is not null)
            foreach (var (k, v) in extraMetadata) meta[k] = v;
        var tensors = model.state_dict().Select(kv => (kv.Key, kv.Value.contiguous()));
        SafeTensorsFile.Save(path, tensors, meta);
    }
}
