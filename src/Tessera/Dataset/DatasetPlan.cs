using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Dataset;

/// <summary>One probed video of a plan: where it is and how many frames sampling keeps of it.</summary>
internal sealed record PlanVideo(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height,
    [property: JsonPropertyName("fps")] double Fps,
    [property: JsonPropertyName("frames")] long Frames,
    [property: JsonPropertyName("interval")] int Interval,
    [property: JsonPropertyName("sampled_frames")] long SampledFrames);

/// <summary>One clip window: sampled frames [Start, Start + Frames) of video <see cref="Video"/>, encoded by shard <see cref="Shard"/>.</summary>
internal sealed record PlanClip(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("video")] int Video,
    [property: JsonPropertyName("start")] int Start,
    [property: JsonPropertyName("frames")] int Frames,
    [property: JsonPropertyName("shard")] int Shard);

/// <summary>A listed video that could not be probed, with the reader's message.</summary>
internal sealed record PlanFailure(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("error")] string Error);

/// <summary>The sampling as plan.json stores it.</summary>
internal sealed record PlanSampling(
    [property: JsonPropertyName("fps")] double? Fps,
    [property: JsonPropertyName("width")] int? Width,
    [property: JsonPropertyName("height")] int? Height,
    [property: JsonPropertyName("resize")] string Resize,
    [property: JsonPropertyName("frames_per_clip")] int FramesPerClip,
    [property: JsonPropertyName("stride")] int Stride)
{
    public static PlanSampling From(DatasetSampling s) => new(s.Fps, s.Size?.Width, s.Size?.Height,
        s.ResizeMode == Video.ResizeMode.Exact ? "exact" : "short_side_center_crop", s.FramesPerClip, s.Stride);

    public DatasetSampling ToSampling() => new()
    {
        Fps = Fps,
        Size = Width is { } w && Height is { } h ? (h, w) : null,
        ResizeMode = Resize == "exact" ? Video.ResizeMode.Exact : Video.ResizeMode.ShortSideCenterCrop,
        FramesPerClip = FramesPerClip,
        Stride = Stride,
    };
}

/// <summary>
/// A data set cut into clip windows and split into shards: plan.json in a plan folder. Deterministic for the same
/// videos and options (no times, no machine facts), so every shard process of a job reads the same plan.
/// </summary>
internal sealed record DatasetPlan(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("sampling")] PlanSampling Sampling,
    [property: JsonPropertyName("shards")] int Shards,
    [property: JsonPropertyName("shard_frames")] IReadOnlyList<long> ShardFrames,
    [property: JsonPropertyName("videos")] IReadOnlyList<PlanVideo> Videos,
    [property: JsonPropertyName("unreadable")] IReadOnlyList<PlanFailure> Unreadable,
    [property: JsonPropertyName("clips")] IReadOnlyList<PlanClip> Clips)
{
    public const string CurrentFormat = "tessera.dataset-plan/1";
    public const string FileName = "plan.json";

    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, IndentSize = 1 };

    /// <summary>The clips of one shard, in plan order.</summary>
    public IReadOnlyList<PlanClip> ShardClips(int shard) => Clips.Where(c => c.Shard == shard).ToArray();

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Writes plan.json into <paramref name="folder"/> atomically.</summary>
    public void Save(string folder) => AtomicFile.Write(System.IO.Path.Combine(folder, FileName), s => s.Write(ToBytes()));

    /// <summary>Reads plan.json from a plan folder (or the file itself).</summary>
    public static DatasetPlan Load(string folderOrFile)
    {
        var path = Directory.Exists(folderOrFile) ? System.IO.Path.Combine(folderOrFile, FileName) : folderOrFile;
        if (!File.Exists(path)) throw new InvalidInputException($"'{folderOrFile}' is not a dataset plan (no {FileName}; make one with 'tessera dataset plan')");
        DatasetPlan? plan;
        try
        {
            plan = JsonSerializer.Deserialize<DatasetPlan>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"plan '{path}' is not valid JSON: {e.Message}");
        }
        if (plan is null || plan.Format != CurrentFormat || plan.Sampling is null || plan.Videos is null || plan.Clips is null || plan.ShardFrames is null)
            throw new InvalidInputException($"plan '{path}' is not a {CurrentFormat} plan");
        if (plan.Shards <= 0 || plan.Clips.Any(c => c.Shard < 0 || c.Shard >= plan.Shards || c.Video < 0 || c.Video >= plan.Videos.Count))
            throw new InvalidInputException($"plan '{path}' is inconsistent (a clip names a shard or video that does not exist)");
        return plan;
    }

    /// <summary>SHA-256 of the plan's bytes: what ties a shard's outputs to the plan they were made from.</summary>
    public string Sha256() => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(ToBytes()));
}
