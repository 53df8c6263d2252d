using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Dataset;

/// <summary>A file a shard wrote, with its size and SHA-256 (lowercase hex).</summary>
internal sealed record ShardFile(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("sha256")] string Sha256)
{
    public static ShardFile Of(string folder, string name)
    {
        var path = Path.Combine(folder, name);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return new ShardFile(name, stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }
}

/// <summary>
/// The done-marker a finished shard writes last: its counts and every output file's checksum. Its presence means the
/// shard is complete; <c>tessera dataset merge</c> verifies the files against it.
/// </summary>
internal sealed record ShardMarker(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("shard")] int Shard,
    [property: JsonPropertyName("shards")] int Shards,
    [property: JsonPropertyName("plan_sha256")] string PlanSha256,
    [property: JsonPropertyName("planned_clips")] int PlannedClips,
    [property: JsonPropertyName("clips")] int Clips,
    [property: JsonPropertyName("failed_clips")] int FailedClips,
    [property: JsonPropertyName("frames")] long Frames,
    [property: JsonPropertyName("elements")] long Elements,
    [property: JsonPropertyName("files")] IReadOnlyList<ShardFile> Files,
    [property: JsonPropertyName("normalization_sha256")] string? NormalizationSha256 = null,
    [property: JsonPropertyName("encoding"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Encoding = null)
{
    public const string CurrentFormat = "tessera.dataset-shard/1";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, IndentSize = 1 };

    public void Save(string path) => AtomicFile.Write(path, s => s.Write(JsonSerializer.SerializeToUtf8Bytes(this, Json)));

    public static ShardMarker Load(string path)
    {
        try
        {
            var marker = JsonSerializer.Deserialize<ShardMarker>(File.ReadAllBytes(path), Json);
            if (marker is { Format: CurrentFormat, Files: not null, PlanSha256: not null }) return marker;
        }
        catch (JsonException)
        {
        }
        throw new InvalidInputException($"done-marker '{path}' is not a {CurrentFormat} marker");
    }
}

/// <summary>A clip a shard could not encode, with the reason.</summary>
internal sealed record ShardFailure(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("error")] string Error);

/// <summary>The shard report: the clips that failed (an empty list when none did).</summary>
internal sealed record ShardReport(
    [property: JsonPropertyName("shard")] int Shard,
    [property: JsonPropertyName("failures")] IReadOnlyList<ShardFailure> Failures)
{
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, IndentSize = 1 };

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static ShardReport Load(string path) =>
        JsonSerializer.Deserialize<ShardReport>(File.ReadAllBytes(path), Json) ?? throw new InvalidInputException($"shard report '{path}' is empty");
}

/// <summary>How long the run that finished a shard took: kept apart from the marker because it differs between runs.</summary>
internal sealed record ShardTiming(
    [property: JsonPropertyName("shard")] int Shard,
    [property: JsonPropertyName("clips_encoded")] int ClipsEncoded,
    [property: JsonPropertyName("frames_encoded")] long FramesEncoded,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("threads")] int Threads)
{
    [JsonPropertyName("frames_per_second")]
    public double FramesPerSecond => Seconds > 0 ? FramesEncoded / Seconds : 0;

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, ShardReport.Json);

    public static ShardTiming? TryLoad(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<ShardTiming>(File.ReadAllBytes(path), ShardReport.Json) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
