using System.Text.Json.Serialization;
using Parquet.Serialization;

namespace Tessera.Dataset;

/// <summary>
/// One row of a shard's Parquet index (and of the merged index): a clip, where its entries lie in which tar, and its
/// shape, so a reader can seek straight to a sample without scanning the tars.
/// </summary>
internal sealed class ShardIndexRow
{
    [JsonPropertyName("key")] public string Key { get; set; } = "";
    [JsonPropertyName("shard")] public int Shard { get; set; }
    [JsonPropertyName("source")] public string Source { get; set; } = "";
    [JsonPropertyName("window_start")] public int WindowStart { get; set; }
    [JsonPropertyName("window_frames")] public int WindowFrames { get; set; }
    [JsonPropertyName("source_frame_start")] public long SourceFrameStart { get; set; }
    [JsonPropertyName("fps")] public double Fps { get; set; }
    [JsonPropertyName("source_width")] public int SourceWidth { get; set; }
    [JsonPropertyName("source_height")] public int SourceHeight { get; set; }
    [JsonPropertyName("width")] public int Width { get; set; }
    [JsonPropertyName("height")] public int Height { get; set; }
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    /// <summary>Shape of the main tensor without the batch axis, comma-separated (e.g. "4,3,8,8" for latents [C, T', H', W']).</summary>
    [JsonPropertyName("shape")] public string Shape { get; set; } = "";
    [JsonPropertyName("dtype")] public string DType { get; set; } = "";
    [JsonPropertyName("elements")] public long Elements { get; set; }
    [JsonPropertyName("tar")] public string Tar { get; set; } = "";
    /// <summary>Byte offset of the safetensors entry's data in the tar.</summary>
    [JsonPropertyName("offset")] public long Offset { get; set; }
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("json_offset")] public long JsonOffset { get; set; }
    [JsonPropertyName("json_size")] public long JsonSize { get; set; }

    public static ShardIndexRow From(SampleRecord r, int shard, string tar, TarMember data, TarMember json) => new()
    {
        Key = r.Key,
        Shard = shard,
        Source = r.Source,
        WindowStart = r.WindowStart,
        WindowFrames = r.WindowFrames,
        SourceFrameStart = r.SourceFrameStart,
        Fps = r.Fps,
        SourceWidth = r.SourceWidth,
        SourceHeight = r.SourceHeight,
        Width = r.Width,
        Height = r.Height,
        Kind = r.Kind,
        Shape = string.Join(",", r.Shape),
        DType = r.DType,
        Elements = r.Elements,
        Tar = tar,
        Offset = data.DataOffset,
        Size = data.Size,
        JsonOffset = json.DataOffset,
        JsonSize = json.Size,
    };

    /// <summary>Writes rows as Parquet atomically; <paramref name="metadata"/> goes into the file's key-value metadata.</summary>
    public static void Save(string path, IReadOnlyList<ShardIndexRow> rows, IReadOnlyDictionary<string, string> metadata) =>
        AtomicFile.Write(path, s => ParquetSerializer.SerializeAsync(rows, s, null, metadata).GetAwaiter().GetResult());

    public static IReadOnlyList<ShardIndexRow> Load(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return ParquetSerializer.DeserializeAsync<ShardIndexRow>(stream).GetAwaiter().GetResult().Data.ToArray();
    }
}
