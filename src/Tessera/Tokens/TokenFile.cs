using System.Globalization;
using Tessera.Checkpoints;
using Tessera.Inference;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Tokens;

/// <summary>
/// Token files: safetensors holding <c>tokens</c> (int32 [T', H', W'], discrete models) or <c>latents</c>
/// (float32 [C, T', H', W'], continuous models), with metadata that names the model config, the source
/// and the frame counts, so a file decodes on its own. Readable in Python with
/// <c>safetensors.numpy.load_file</c>.
/// </summary>
public static class TokenFile
{
    public const string Format = "tessera.tokens/1";
    public const string TokensKey = "tokens";
    public const string LatentsKey = "latents";

    /// <summary>Writes one video's code atomically. The code must hold a single video (batch 1).</summary>
    public static void Save(string path, VideoCode code, TokenFileInfo info)
    {
        var (key, tensor) = code switch
        {
            TokenIds ids => (TokensKey, ids.Ids),
            Latents l => (LatentsKey, l.Values),
            _ => throw new ArgumentException("unknown code type", nameof(code)),
        };
        if (tensor.shape[0] != 1)
            throw new InvalidInputException($"a token file holds one video; this code has a batch of {tensor.shape[0]}");
        using var single = tensor[0].to_type(key == TokensKey ? ScalarType.Int32 : ScalarType.Float32).contiguous();
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["model_config"] = VidTokConfigJson.Serialize(code.Config),
            ["model"] = code.Config.Name,
            ["frames"] = code.Frames.ToString(CultureInfo.InvariantCulture),
            ["leading_frames"] = code.LeadingFrames.ToString(CultureInfo.InvariantCulture),
            ["compression"] = code.Config.Compression.ToString(),
            ["tessera_version"] = info.TesseraVersion,
        };
        if (code is TokenIds t) meta["codebook_size"] = t.CodebookSize.ToString(CultureInfo.InvariantCulture);
        if (info.Source is { } s) meta["source"] = s;
        if (info.Fps is { } fps) meta["fps"] = fps.ToString("R", CultureInfo.InvariantCulture);
        if (info.Start is { } start) meta["start"] = start.ToString("R", CultureInfo.InvariantCulture);
        if (info.ModelSource is { } ms) meta["model_source"] = ms;
        if (info.WeightsSource is { } ws) meta["weights_source"] = ws;
        if (info.OriginalSize is { } o) meta["original_size"] = $"{o.Height}x{o.Width}";
        if (info.ProcessedSize is { } p) meta["processed_size"] = $"{p.Height}x{p.Width}";
        SafeTensorsFile.Save(path, [(key, single)], meta);
    }

    /// <summary>Reads and validates a token file; <paramref name="config"/> overrides the file's model config.</summary>
    public static (VideoCode Code, TokenFileInfo Info) Load(string path, VidTokConfig? config = null)
    {
        StateDict file;
        try
        {
            file = SafeTensorsFile.Load(path);
        }
        catch (CheckpointFormatException e)
        {
            throw new TokenFileFormatException($"token file '{path}': {e.Message}", e);
        }
        using (file)
        {
            var meta = file.Metadata;
            var hasTokens = file.ContainsKey(TokensKey);
            var hasLatents = file.ContainsKey(LatentsKey);
            if (hasTokens == hasLatents)
                throw Error(path, $"must hold exactly one of the tensors '{TokensKey}' and '{LatentsKey}', found [{string.Join(", ", file.Keys)}]");

            if (config is null)
            {
                if (!meta.TryGetValue("model_config", out var json))
                    throw Error(path, "has no 'model_config' metadata; name the model with --model");
                try { config = VidTokConfigJson.Deserialize(json, $"{path} (metadata 'model_config')"); }
                catch (ConfigException e) { throw new TokenFileFormatException($"token file '{path}': {e.Message}", e); }
            }

            var tensor = hasTokens ? file[TokensKey] : file[LatentsKey];
            var grid = hasTokens ? 3 : 4;
            if (tensor.dim() != grid)
                throw Error(path, $"tensor '{(hasTokens ? TokensKey : LatentsKey)}' must have rank {grid}, got shape [{string.Join(", ", tensor.shape)}]");
            var latentFrames = (int)tensor.shape[hasTokens ? 0 : 1];
            var frames = IntMeta(path, meta, "frames") ?? DefaultFrames(config, latentFrames);
            var leading = IntMeta(path, meta, "leading_frames") ?? DefaultLeading(config, latentFrames, frames);
            var info = InfoFrom(path, meta);
            TokenFileChecks.Check(path, tensor, hasTokens, config, frames, leading);

            try
            {
                if (hasTokens)
                    return (TokensFrom(path, tensor, config, frames, leading), info);
                if (config.Regularizer is not KlBottleneck)
                    throw Error(path, $"holds latents but model '{config.Name}' is discrete (FSQ)");
                if (tensor.shape[0] != config.ZChannels)
                    throw Error(path, $"latents have {tensor.shape[0]} channels, model '{config.Name}' takes {config.ZChannels}");
                return (new Latents(tensor.to_type(ScalarType.Float32).unsqueeze(0), config, frames, leading), info);
            }
            catch (InvalidInputException e)
            {
                throw new TokenFileFormatException($"token file '{path}': {e.Message}", e);
            }
        }
    }

    /// <summary>Reads only the metadata of a token file (source, fps, the model it was made with).</summary>
    public static TokenFileInfo ReadInfo(string path)
    {
        try
        {
            return InfoFrom(path, SafeTensorsFile.ReadHeader(path).Metadata);
        }
        catch (CheckpointFormatException e)
        {
            throw new TokenFileFormatException($"token file '{path}': {e.Message}", e);
        }
    }

    private static TokenFileInfo InfoFrom(string path, IReadOnlyDictionary<string, string> meta) => new()
    {
        Source = meta.GetValueOrDefault("source"),
        Fps = DoubleMeta(path, meta, "fps"),
        Start = DoubleMeta(path, meta, "start"),
        OriginalSize = SizeMeta(path, meta, "original_size"),
        ProcessedSize = SizeMeta(path, meta, "processed_size"),
        ModelSource = meta.GetValueOrDefault("model_source"),
        WeightsSource = meta.GetValueOrDefault("weights_source"),
        TesseraVersion = meta.GetValueOrDefault("tessera_version") ?? "unknown",
    };

    private static TokenIds TokensFrom(string path, Tensor tensor, VidTokConfig config, int frames, int leading)
    {
        if (config.Regularizer is not FsqBottleneck fsq)
            throw Error(path, $"holds token ids but model '{config.Name}' is continuous (KL)");
        if (!is_integral(tensor.dtype) || tensor.dtype == ScalarType.Bool)
            throw Error(path, $"tensor '{TokensKey}' must be an integer tensor, got {tensor.dtype}");
        if (tensor.numel() > 0)
        {
            using var wide = tensor.to_type(ScalarType.Int64);
            var min = wide.min().item<long>();
            var max = wide.max().item<long>();
            if (min < 0 || max >= fsq.CodebookSize)
                throw Error(path, $"token ids must lie in [0, {fsq.CodebookSize}) for model '{config.Name}', found [{min}, {max}]");
        }
        return new TokenIds(tensor.to_type(ScalarType.Int32).unsqueeze(0), config, frames, leading);
    }

    // Files without frame metadata (written by other tools) decode every frame the latents give.
    private static int DefaultFrames(VidTokConfig config, int latentFrames) => config.Family switch
    {
        VidTokFamily.CausalV1_0 => 1 + (latentFrames - 1) * config.TimeDownsampleFactor,
        _ => latentFrames * config.Compression.Time,
    };

    private static int DefaultLeading(VidTokConfig config, int latentFrames, int frames) =>
        config.Family == VidTokFamily.CausalV1_1 ? Math.Max(0, config.TimeDownsampleFactor * latentFrames - frames) : 0;

    private static int? IntMeta(string path, IReadOnlyDictionary<string, string> meta, string key)
    {
        if (!meta.TryGetValue(key, out var s)) return null;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < 0)
            throw Error(path, $"metadata '{key}' must be a non-negative integer, got '{s}'");
        return v;
    }

    private static double? DoubleMeta(string path, IReadOnlyDictionary<string, string> meta, string key)
    {
        if (!meta.TryGetValue(key, out var s)) return null;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw Error(path, $"metadata '{key}' must be a number, got '{s}'");
        if (key == "fps" && v <= 0) throw Error(path, $"metadata 'fps' must be positive, got '{s}'");
        return v;
    }

    private static (int, int)? SizeMeta(string path, IReadOnlyDictionary<string, string> meta, string key)
    {
        if (!meta.TryGetValue(key, out var s)) return null;
        var parts = s.Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var h) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var w) && h > 0 && w > 0)
            return (h, w);
        throw Error(path, $"metadata '{key}' must look like HxW, got '{s}'");
    }

    private static TokenFileFormatException Error(string path, string problem) => new($"token file '{path}': {problem}");
}
