using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Dataset;

/// <summary>Codebook usage of one token group over a data set.</summary>
internal sealed record GroupUsage(
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("codebook_size")] long CodebookSize,
    [property: JsonPropertyName("used")] long Used,
    [property: JsonPropertyName("usage")] double Usage);

/// <summary>What <c>tessera dataset merge</c> writes to summary.json.</summary>
internal sealed record DatasetSummary(
    [property: JsonPropertyName("shards")] int Shards,
    [property: JsonPropertyName("plan_sha256")] string PlanSha256,
    [property: JsonPropertyName("clips")] long Clips,
    [property: JsonPropertyName("failed_clips")] long FailedClips,
    [property: JsonPropertyName("frames")] long Frames,
    [property: JsonPropertyName("kind")] string? Kind,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("latent_values")] long LatentValues,
    [property: JsonPropertyName("codebook_usage")] IReadOnlyList<GroupUsage> CodebookUsage,
    [property: JsonPropertyName("failures")] IReadOnlyList<ShardFailure> Failures,
    [property: JsonPropertyName("throughput")] IReadOnlyList<ShardTiming> Throughput)
{
    public const string FileName = "summary.json";
    public const string IndexName = "index.parquet";
}

/// <summary>
/// Verifies every shard of an output folder against its done-marker (presence, sizes, SHA-256) and combines the shard
/// indexes into one index and a summary. Any missing or corrupt shard is an error naming it; nothing is written then.
/// </summary>
internal static class DatasetMerger
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, IndentSize = 1 };

    /// <summary>
    /// Verifies every shard of <paramref name="output"/> and writes the merged index and summary there (each atomically).
    /// <paramref name="progress"/> receives the number of shards merged after each one; <paramref name="cancellationToken"/>
    /// is checked between shards and before anything is written, so a cancelled merge throws
    /// <see cref="OperationCanceledException"/> and writes nothing.
    /// </summary>
    /// <exception cref="InvalidInputException">A shard is missing, corrupt or made from another plan.</exception>
    public static DatasetSummary Merge(string output, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(output)) throw new InvalidInputException($"'{output}' is not a folder of encoded shards");
        var markers = Directory.EnumerateFiles(output, "shard-*.done.json").Order(StringComparer.Ordinal).ToArray();
        if (markers.Length == 0) throw new InvalidInputException($"'{output}' holds no finished shard (no shard-*.done.json); run 'tessera dataset encode' first");
        var problems = new List<string>();
        var loaded = new Dictionary<int, ShardMarker>();
        foreach (var path in markers)
        {
            try
            {
                var m = ShardMarker.Load(path);
                if (Path.GetFileName(path) != ShardFiles.Marker(m.Shard)) problems.Add($"{Path.GetFileName(path)}: names shard {m.Shard}");
                else loaded[m.Shard] = m;
            }
            catch (InvalidInputException e)
            {
                problems.Add($"{Path.GetFileName(path)}: corrupt ({e.Message})");
            }
        }
        if (loaded.Count == 0) throw new InvalidInputException($"'{output}': {string.Join("; ", problems)}");
        var shards = loaded.Values.Max(m => m.Shards);
        var planSha = loaded.Values.GroupBy(m => m.PlanSha256).OrderByDescending(g => g.Count()).First().Key;
        for (var s = 0; s < shards; s++)
        {
            if (!loaded.TryGetValue(s, out var m))
            {
                if (!problems.Any(p => p.StartsWith(ShardFiles.Marker(s), StringComparison.Ordinal)))
                    problems.Add($"shard {s}: missing (no {ShardFiles.Marker(s)}; encode it with --shard {s})");
                continue;
            }
            if (m.Shards != shards || m.PlanSha256 != planSha) problems.Add($"shard {s}: made from another plan");
            foreach (var f in m.Files)
            {
                var path = Path.Combine(output, f.Name);
                if (!File.Exists(path)) { problems.Add($"shard {s}: {f.Name} is missing"); continue; }
                var actual = ShardFile.Of(output, f.Name);
                if (actual.Bytes != f.Bytes || actual.Sha256 != f.Sha256)
                    problems.Add($"shard {s}: {f.Name} is corrupt ({actual.Bytes} bytes, SHA-256 {actual.Sha256[..12]}…; the marker says {f.Bytes} bytes, {f.Sha256[..12]}…)");
            }
        }
        if (problems.Count > 0)
            throw new InvalidInputException($"dataset '{output}' does not verify: {string.Join("; ", problems)}");

        var rows = new List<ShardIndexRow>();
        var failures = new List<ShardFailure>();
        var timings = new List<ShardTiming>();
        var usage = new Dictionary<string, (long Size, BitArray Used)>(StringComparer.Ordinal);
        string? kind = null;
        long tokens = 0, latentValues = 0;
        for (var s = 0; s < shards; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (s > 0) progress?.Report(s);
            var shardRows = ShardIndexRow.Load(Path.Combine(output, ShardFiles.Index(s)));
            rows.AddRange(shardRows);
            failures.AddRange(ShardReport.Load(Path.Combine(output, ShardFiles.Report(s))).Failures);
            if (ShardTiming.TryLoad(Path.Combine(output, ShardFiles.Timing(s))) is { } t) timings.Add(t);
            foreach (var row in shardRows)
            {
                kind ??= row.Kind;
                if (row.Kind == SampleRecord.LatentsKind) { latentValues += row.Elements; continue; }
                tokens += row.Elements;
                var tar = Path.Combine(output, row.Tar);
                var record = SampleRecord.Parse(UstarArchive.Read(tar, new TarMember(row.Key + ".json", row.JsonOffset, row.JsonSize)), $"{row.Tar}: {row.Key}.json");
                var sample = UstarArchive.Read(tar, new TarMember(row.Key + ".safetensors", row.Offset, row.Size));
                foreach (var g in record.TokenGroups)
                {
                    if (!usage.TryGetValue(g.Name, out var u)) usage[g.Name] = u = (g.CodebookSize, new BitArray(checked((int)g.CodebookSize)));
                    MarkUsed(sample, g.Name, u.Used, $"{row.Tar}: {row.Key}.safetensors");
                }
            }
        }
        var groups = usage.Select(kv =>
        {
            var used = kv.Value.Used.Cast<bool>().LongCount(b => b);
            return new GroupUsage(kv.Key, kv.Value.Size, used, (double)used / kv.Value.Size);
        }).ToArray();
        var summary = new DatasetSummary(shards, planSha, rows.Count, failures.Count, rows.Sum(r => (long)r.WindowFrames), kind,
            tokens, latentValues, groups, failures, timings);
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(shards);
        ShardIndexRow.Save(Path.Combine(output, DatasetSummary.IndexName), rows, new Dictionary<string, string>
        {
            ["tessera_format"] = ShardMarker.CurrentFormat,
            ["plan_sha256"] = planSha,
            ["shards"] = shards.ToString(CultureInfo.InvariantCulture),
        });
        AtomicFile.Write(Path.Combine(output, DatasetSummary.FileName), s => s.Write(JsonSerializer.SerializeToUtf8Bytes(summary, Json)));
        return summary;
    }

    /// <summary>Marks the ids of int32 tensor <paramref name="name"/> of a safetensors file held in memory.</summary>
    private static void MarkUsed(byte[] file, string name, BitArray used, string where)
    {
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        using var header = JsonDocument.Parse(file.AsMemory(8, checked((int)headerLength)));
        if (!header.RootElement.TryGetProperty(name, out var entry) || entry.GetProperty("dtype").GetString() != "I32")
            throw new InvalidDataException($"{where}: no int32 tensor '{name}'");
        var offsets = entry.GetProperty("data_offsets");
        var begin = 8 + headerLength + offsets[0].GetInt64();
        var end = 8 + headerLength + offsets[1].GetInt64();
        for (var at = begin; at < end; at += 4)
        {
            var id = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan((int)at, 4));
            if (id < 0 || id >= used.Length) throw new InvalidDataException($"{where}: token id {id} outside the codebook of {used.Length}");
            used[id] = true;
        }
    }
}
