using System.Globalization;
using Tessera.Checkpoints;
using Tessera.Inference;
using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Tokens;

/// <summary>
/// Token files: safetensors holding one int32 tensor per token group of a discrete model (VidTok: <c>tokens</c>
/// [T', H', W']), or <c>latents</c> (float32 [C, T', H', W']) of a continuous one, with metadata that names the
/// model family and config, the source and the frame counts, so a file decodes on its own. A file without
/// <c>model_family</c> is VidTok's. Readable in Python with <c>safetensors.numpy.load_file</c>.
/// </summary>
public static class TokenFile
{
    /// <summary>The <c>format</c> metadata value of token files this version writes and reads.</summary>
    public const string Format = "tessera.tokens/1";
    /// <summary>Tensor name of a one-group discrete code (VidTok).</summary>
    public const string TokensKey = "tokens";
    /// <summary>Tensor name of a continuous code.</summary>
    public const string LatentsKey = "latents";
    /// <summary>Metadata key holding the frame size (HxW) decoding crops to, for frames padded to the model's multiple.</summary>
    internal const string FrameSizeKey = "frame_size";

    /// <summary>Metadata key holding the batch size of a file that stores a batch (its tensors keep the leading B axis).</summary>
    public const string BatchKey = "batch";

    /// <summary>The posterior's log-variance beside <c>latents</c> (same shape), stored on request so trainers can resample.</summary>
    public const string LogVarKey = "logvar";

    /// <summary>
    /// Writes <paramref name="code"/> and <paramref name="info"/> to <paramref name="path"/> atomically (a temporary file
    /// renamed into place, so a failed write leaves an existing file as it was). A one-video code is stored without the
    /// batch axis; a batch keeps it and records its size under <see cref="BatchKey"/>. The code is not disposed.
    /// </summary>
    public static void Save(string path, VideoCode code, TokenFileInfo info)
    {
        var (tensors, meta) = Prepare(code, info);
        try
        {
            SafeTensorsFile.Save(path, tensors, meta);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }

    /// <summary>
    /// <see cref="Save"/>'s asynchronous twin: the file is laid out in memory, then written with asynchronous writes to a
    /// temporary file renamed over <paramref name="path"/> only when complete. When <paramref name="cancellationToken"/>
    /// fires, the task fails with <see cref="OperationCanceledException"/>, the temporary is deleted and an existing file at
    /// <paramref name="path"/> is left as it was. The code stays the caller's; it must not be disposed before the task ends.
    /// </summary>
    public static async Task SaveAsync(string path, VideoCode code, TokenFileInfo info, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (tensors, meta) = Prepare(code, info);
        try
        {
            await SafeTensorsFile.SaveAsync(path, tensors, meta, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }

    /// <summary>The tensors (owned by the caller) and metadata of <paramref name="code"/>'s token file.</summary>
    private static (List<(string Name, Tensor Tensor)> Tensors, Dictionary<string, string> Meta) Prepare(VideoCode code, TokenFileInfo info)
    {
        // One clip is stored without the batch axis; a batch keeps it and records its size as 'batch'.
        var batched = code.BatchSize != 1;
        Tensor Clips(Tensor t) => batched ? t : t[0];
        var card = code.Card;
        var tensors = code switch
        {
            TokenIds ids => card.TokenGroups.Select(g => (g.Name, Clips(ids[g.Name]).to_type(ScalarType.Int32).contiguous())).ToList(),
            Latents { LogVar: { } lv } l when info.IncludeLogVar =>
                [(LatentsKey, Clips(l.Values).to_type(ScalarType.Float32).contiguous()), (LogVarKey, Clips(lv).to_type(ScalarType.Float32).contiguous())],
            Latents when info.IncludeLogVar => throw new InvalidInputException("the latents carry no posterior log-variance to store"),
            Latents l => [(LatentsKey, Clips(l.Values).to_type(ScalarType.Float32).contiguous())],
            _ => throw new ArgumentException("unknown code type", nameof(code)),
        };
        var meta = Metadata(code.Config, code.Frames, code.LeadingFrames, code.BatchSize, info, code.FrameSize);
        // Detached: the caller disposes them, also across awaits (dispose scopes are per thread).
        foreach (var (_, t) in tensors) t.DetachFromDisposeScope();
        return (tensors, meta);
    }

    /// <summary>The metadata of a token file: format, frame counts, the model's config and card, and where the code came from.</summary>
    internal static Dictionary<string, string> Metadata(ModelConfig config, int frames, int leading, long batch, TokenFileInfo info,
        (int Height, int Width)? frameSize = null)
    {
        var card = config.Card;
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["frames"] = frames.ToString(CultureInfo.InvariantCulture),
            ["leading_frames"] = leading.ToString(CultureInfo.InvariantCulture),
            ["compression"] = config.Card.Compression.ToString(),
            ["tessera_version"] = info.TesseraVersion,
        };
        if (batch != 1) meta[BatchKey] = batch.ToString(CultureInfo.InvariantCulture);
        if (frameSize is { } f) meta[FrameSizeKey] = string.Create(CultureInfo.InvariantCulture, $"{f.Height}x{f.Width}");
        ModelFamilies.WriteConfig(meta, config);
        if (card.IsDiscrete)
        {
            meta["token_groups"] = string.Join(",", card.TokenGroups.Select(g => g.Name));
            meta["codebook_sizes"] = string.Join(",", card.TokenGroups.Select(g => g.CodebookSize.ToString(CultureInfo.InvariantCulture)));
            if (card.TokenGroups.Count == 1) meta["codebook_size"] = card.TokenGroups[0].CodebookSize.ToString(CultureInfo.InvariantCulture);
        }
        if (info.Source is { } s) meta["source"] = s;
        if (info.SourceBytes is { } sb) meta["source_bytes"] = sb.ToString(CultureInfo.InvariantCulture);
        if (info.SourceSha256 is { } sh) meta["source_sha256"] = sh;
        if (info.ModelSha256 is { } mh) meta["model_sha256"] = mh;
        if (info.WeightsSha256 is { } wh) meta["weights_sha256"] = wh;
        if (info.Fps is { } fps) meta["fps"] = fps.ToString("R", CultureInfo.InvariantCulture);
        if (info.Start is { } start) meta["start"] = start.ToString("R", CultureInfo.InvariantCulture);
        if (info.ModelSource is { } ms) meta["model_source"] = ms;
        if (info.WeightsSource is { } ws) meta["weights_source"] = ws;
        if (info.OriginalSize is { } o) meta["original_size"] = $"{o.Height}x{o.Width}";
        if (info.ProcessedSize is { } p) meta["processed_size"] = $"{p.Height}x{p.Width}";
        foreach (var (k, v) in info.Extra ?? new Dictionary<string, string>()) meta.TryAdd(k, v);
        return meta;
    }

    /// <summary>
    /// Reads and validates a token file; <paramref name="config"/> overrides the file's model config. The caller owns
    /// (and disposes) the returned code.
    /// </summary>
    /// <exception cref="TokenFileFormatException">The file is missing, corrupt, or does not fit the model.</exception>
    /// <returns>The code (the caller owns and disposes it) and the file's metadata.</returns>
    public static (VideoCode Code, TokenFileInfo Info) Load(string path, ModelConfig? config = null)
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
        return FromFile(path, file, config);
    }

    /// <summary>
    /// <see cref="Load"/>'s asynchronous twin: the file is read with asynchronous reads (cancellable between reads, throwing
    /// <see cref="OperationCanceledException"/>), then validated and turned into a code synchronously. The caller owns the code.
    /// </summary>
    /// <exception cref="TokenFileFormatException">The file is missing, corrupt, or does not fit the model.</exception>
    public static async Task<(VideoCode Code, TokenFileInfo Info)> LoadAsync(string path, ModelConfig? config = null, CancellationToken cancellationToken = default)
    {
        StateDict file;
        try
        {
            file = await SafeTensorsFile.LoadAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (CheckpointFormatException e)
        {
            throw new TokenFileFormatException($"token file '{path}': {e.Message}", e);
        }
        return FromFile(path, file, config);
    }

    private static (VideoCode Code, TokenFileInfo Info) FromFile(string path, StateDict file, ModelConfig? config)
    {
        using (file)
        {
            var meta = file.Metadata;
            try
            {
                config ??= ModelFamilies.ReadConfig(meta, path)
                    ?? throw Error(path, "has no 'model_config' metadata; name the model with --model");
            }
            catch (ConfigException e)
            {
                throw new TokenFileFormatException($"token file '{path}': {e.Message}", e);
            }
            if (meta.TryGetValue(ModelFamilies.FamilyKey, out var family) && family != config.FamilyName)
                throw Error(path, $"holds a {family} code, but model '{config.Name}' is a {config.FamilyName} model");
            var card = config.Card;
            var expected = card.IsDiscrete ? card.TokenGroups.Select(g => g.Name).ToArray() : [LatentsKey];
            if (card.IsDiscrete && file.ContainsKey(LatentsKey))
                throw Error(path, $"holds latents but model '{config.Name}' is discrete ({string.Join(", ", expected)})");
            if (!card.IsDiscrete && !file.ContainsKey(LatentsKey) && file.ContainsKey(TokensKey))
                throw Error(path, $"holds token ids but model '{config.Name}' is continuous (latents)");
            var stored = card.IsDiscrete || !file.ContainsKey(LogVarKey) ? file.Count : file.Count - 1;
            if (stored != expected.Length || expected.Any(k => !file.ContainsKey(k)))
                throw Error(path, $"must hold exactly the tensors [{string.Join(", ", expected)}] for model '{config.Name}', found [{string.Join(", ", file.Keys)}]");

            var batch = IntMeta(path, meta, BatchKey);
            if (batch is 0) throw Error(path, $"metadata '{BatchKey}' must be positive");
            foreach (var k in expected)
                if (batch is { } b && (file[k].dim() == 0 || file[k].shape[0] != b))
                    throw Error(path, $"tensor '{k}' [{string.Join(", ", file[k].shape)}] does not hold the batch of {b} clips that metadata '{BatchKey}' claims");
            // Per-clip views for the shape checks (a batch's first clip stands for all).
            using var clipScope = NewDisposeScope();
            var perClip = expected.ToDictionary(k => k, k => batch is null ? file[k] : file[k][0]);
            var frames = IntMeta(path, meta, "frames");
            var leading = IntMeta(path, meta, "leading_frames");
            if (frames is null || leading is null)
            {
                var shapes = expected.ToDictionary(k => k, k => perClip[k].shape);
                var guess = ModelFamilies.Of(config).FramesWithoutMetadata(config, shapes, frames)
                    ?? throw Error(path, "has no 'frames' and 'leading_frames' metadata");
                frames ??= guess.Frames;
                leading ??= guess.LeadingFrames;
            }
            var info = InfoFrom(path, meta);
            TokenFileChecks.Check(path, perClip, config, frames.Value, leading.Value);
            var frameSize = TokenFileChecks.FrameSize(path, meta.GetValueOrDefault(FrameSizeKey), perClip, config);

            try
            {
                if (card.IsDiscrete)
                {
                    var ids = TokensFrom(path, file, config, frames.Value, leading.Value, batch is not null);
                    ids.FrameSize = frameSize;
                    clipScope.Detach(ids.Groups.Values);
                    return (ids, info);
                }
                var tensor = file[LatentsKey];
                if (batch is not null)
                {
                    if (tensor.dim() != 5 || tensor.shape[1] != card.LatentChannels)
                        throw Error(path, $"batched latents must be [B, {card.LatentChannels}, T', H', W'], got [{string.Join(", ", tensor.shape)}]");
                    var batchLatents = new Latents(tensor.to_type(ScalarType.Float32), config, frames.Value, leading.Value) { FrameSize = frameSize };
                    clipScope.Detach(batchLatents.Values);
                    return (batchLatents, info);
                }
                if (tensor.dim() != 4)
                    throw Error(path, $"tensor '{LatentsKey}' must have rank 4, got shape [{string.Join(", ", tensor.shape)}]");
                if (tensor.shape[0] != card.LatentChannels)
                    throw Error(path, $"latents have {tensor.shape[0]} channels, model '{config.Name}' takes {card.LatentChannels}");
                var latents = new Latents(tensor.to_type(ScalarType.Float32).unsqueeze(0), config, frames.Value, leading.Value) { FrameSize = frameSize };
                clipScope.Detach(latents.Values);
                return (latents, info);
            }
            catch (InvalidInputException e)
            {
                throw new TokenFileFormatException($"token file '{path}': {e.Message}", e);
            }
        }
    }

    /// <summary>Reads only the metadata of a token file (source, fps, the model it was made with).</summary>
    /// <exception cref="TokenFileFormatException">The file is missing or malformed.</exception>
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
        SourceBytes = meta.TryGetValue("source_bytes", out var bytes) && long.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : null,
        SourceSha256 = meta.GetValueOrDefault("source_sha256"),
        ModelSha256 = meta.GetValueOrDefault("model_sha256"),
        WeightsSha256 = meta.GetValueOrDefault("weights_sha256"),
        Fps = DoubleMeta(path, meta, "fps"),
        Start = DoubleMeta(path, meta, "start"),
        OriginalSize = SizeMeta(path, meta, "original_size"),
        ProcessedSize = SizeMeta(path, meta, "processed_size"),
        ModelSource = meta.GetValueOrDefault("model_source"),
        WeightsSource = meta.GetValueOrDefault("weights_source"),
        TesseraVersion = meta.GetValueOrDefault("tessera_version") ?? "unknown",
    };

    private static TokenIds TokensFrom(string path, StateDict file, ModelConfig config, int frames, int leading, bool batched)
    {
        var groups = new Dictionary<string, Tensor>();
        try
        {
            foreach (var g in config.Card.TokenGroups)
            {
                var tensor = file[g.Name];
                if (!is_integral(tensor.dtype) || tensor.dtype == ScalarType.Bool)
                    throw Error(path, $"tensor '{g.Name}' must be an integer tensor, got {tensor.dtype}");
                if (tensor.dim() != g.Rank + (batched ? 1 : 0))
                    throw Error(path, $"tensor '{g.Name}' must have rank {g.Rank + (batched ? 1 : 0)} [{(batched ? "B, " : "")}{string.Join(", ", g.Axes)}], got shape [{string.Join(", ", tensor.shape)}]");
                if (tensor.numel() > 0)
                {
                    using var wide = tensor.to_type(ScalarType.Int64);
                    var min = wide.min().item<long>();
                    var max = wide.max().item<long>();
                    if (min < 0 || max >= g.CodebookSize)
                        throw Error(path, $"token ids of '{g.Name}' must lie in [0, {g.CodebookSize}) for model '{config.Name}', found [{min}, {max}]");
                }
                groups[g.Name] = batched ? tensor.to_type(ScalarType.Int32) : tensor.to_type(ScalarType.Int32).unsqueeze(0);
            }
            return new TokenIds(groups, config, frames, leading);
        }
        catch
        {
            foreach (var t in groups.Values) t.Dispose();
            throw;
        }
    }

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
