using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Dataset;

/// <summary>One token group of a discrete sample: its tensor's shape and codebook size.</summary>
internal sealed record SampleGroup(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape,
    [property: JsonPropertyName("codebook_size")] long CodebookSize,
    [property: JsonPropertyName("levels"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? Levels = null);

/// <summary>
/// The JSON entry beside each clip's safetensors entry in a shard tar: what the clip is (source, window, sampling) and
/// what made it (model, its SHA-256, family, compression, Tessera version), the provenance a trainer's cache key needs.
/// </summary>
internal sealed record SampleRecord(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("source_sha256")] string SourceSha256,
    [property: JsonPropertyName("video_index")] int VideoIndex,
    [property: JsonPropertyName("window_start")] int WindowStart,
    [property: JsonPropertyName("window_frames")] int WindowFrames,
    [property: JsonPropertyName("source_frame_start")] long SourceFrameStart,
    [property: JsonPropertyName("frame_interval")] int FrameInterval,
    [property: JsonPropertyName("fps")] double Fps,
    [property: JsonPropertyName("source_fps")] double SourceFps,
    [property: JsonPropertyName("source_width")] int SourceWidth,
    [property: JsonPropertyName("source_height")] int SourceHeight,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height,
    [property: JsonPropertyName("resize")] string Resize,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape,
    [property: JsonPropertyName("dtype")] string DType,
    [property: JsonPropertyName("token_groups")] IReadOnlyList<SampleGroup> TokenGroups,
    [property: JsonPropertyName("elements")] long Elements,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("model_sha256")] string? ModelSha256,
    [property: JsonPropertyName("weights_sha256")] string? WeightsSha256,
    [property: JsonPropertyName("family")] string Family,
    [property: JsonPropertyName("compression")] string Compression,
    [property: JsonPropertyName("normalized")] bool Normalized,
    [property: JsonPropertyName("tessera_version")] string TesseraVersion,
    [property: JsonPropertyName("latents_mean")] IReadOnlyList<double>? LatentsMean = null,
    [property: JsonPropertyName("latents_std")] IReadOnlyList<double>? LatentsStd = null,
    [property: JsonPropertyName("scaling_factor"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? ScalingFactor = null,
    [property: JsonPropertyName("normalization"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Normalization = null,
    [property: JsonPropertyName("posterior"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Posterior = null,
    [property: JsonPropertyName("seed"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Seed = null,
    [property: JsonPropertyName("sample_seed"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ulong? SampleSeed = null,
    [property: JsonPropertyName("logvar"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? LogVar = null,
    [property: JsonPropertyName("vocab_offset"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? VocabularyOffset = null)
{
    /// <summary>The normalisation every normalised record names (per channel).</summary>
    public const string NormalizationFormula = "z_norm = (z - latents_mean) * scaling_factor / latents_std";

    public const string TokensKind = "tokens";
    public const string LatentsKind = "latents";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static SampleRecord Parse(byte[] json, string where) =>
        JsonSerializer.Deserialize<SampleRecord>(json, Json) ?? throw new InvalidDataException($"{where}: empty sample record");
}
