using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tessera.Checkpoints;
using Tessera.Models;

namespace Tessera.Dataset;

/// <summary>
/// A data set's latent statistics in a model file's metadata (<c>latents_mean</c>, <c>latents_std</c> as JSON lists,
/// <c>latents_global_std</c>, <c>scaling_factor</c>, <c>latents_stats_samples</c>), so the normalisation travels with the
/// weights. The copy keeps every tensor byte of the input and is written atomically under another name.
/// </summary>
internal static class ModelStatistics
{
    /// <summary>Metadata key of the per-channel means (a JSON list).</summary>
    public const string MeanKey = "latents_mean";

    /// <summary>Metadata key of the per-channel standard deviations (a JSON list).</summary>
    public const string StdKey = "latents_std";

    /// <summary>Metadata key of the scaling factor of <c>z_norm = (z − latents_mean) · scaling_factor / latents_std</c>.</summary>
    public const string ScalingFactorKey = "scaling_factor";

    /// <summary>Copies <paramref name="model"/> to <paramref name="output"/> with the statistics added to its metadata.</summary>
    public static void Write(string model, string output, LatentStatistics statistics, double scalingFactor = 1)
    {
        if (!File.Exists(model)) throw new InvalidInputException($"model file '{model}' does not exist");
        if (Path.GetFullPath(model) == Path.GetFullPath(output)) throw new InvalidInputException($"'{output}' is the input model; write the model with statistics to another file");
        if (!double.IsFinite(scalingFactor) || scalingFactor <= 0) throw new InvalidInputException($"the scaling factor must be positive, got {scalingFactor}");
        var config = ModelFamilies.ReadConfig(model) ?? throw new InvalidInputException($"'{model}' is not a Tessera model file (no model_config metadata)");
        if (config.Card.IsDiscrete || config.Card.LatentChannels != statistics.Mean.Count)
            throw new InvalidInputException(config.Card.IsDiscrete
                ? $"model '{model}' is discrete (token ids); latent statistics belong to a continuous model"
                : $"the statistics have {statistics.Mean.Count} channels, model '{model}' makes {config.Card.LatentChannels}");
        var header = SafeTensorsFile.ReadHeader(model);
        using var input = File.OpenRead(model);
        var length = new byte[8];
        input.ReadExactly(length);
        var json = new byte[checked((int)BinaryPrimitives.ReadUInt64LittleEndian(length))];
        input.ReadExactly(json);
        var root = JsonNode.Parse(json)!.AsObject();
        var meta = root["__metadata__"] as JsonObject ?? new JsonObject();
        root.Remove("__metadata__");
        meta[MeanKey] = JsonSerializer.Serialize(statistics.Mean);
        meta[StdKey] = JsonSerializer.Serialize(statistics.Std);
        meta["latents_global_std"] = statistics.GlobalStd.ToString("R", CultureInfo.InvariantCulture);
        meta["latents_stats_samples"] = statistics.Samples.ToString(CultureInfo.InvariantCulture);
        meta[ScalingFactorKey] = scalingFactor.ToString("R", CultureInfo.InvariantCulture);
        var rebuilt = new JsonObject { ["__metadata__"] = meta };
        foreach (var (k, v) in root.ToArray())
        {
            root.Remove(k);
            rebuilt[k] = v;
        }
        var bytes = Encoding.UTF8.GetBytes(rebuilt.ToJsonString());
        var padded = new byte[(bytes.Length + 7) / 8 * 8];
        Array.Fill(padded, (byte)' ');
        bytes.CopyTo(padded, 0);
        input.Position = header.DataStart;
        AtomicFile.Write(output, s =>
        {
            var n = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(n, (ulong)padded.Length);
            s.Write(n);
            s.Write(padded);
            input.CopyTo(s);
        });
    }

    /// <summary>The statistics and scaling factor a model file's metadata records; nulls when it records none.</summary>
    public static (IReadOnlyList<double>? Mean, IReadOnlyList<double>? Std, double? ScalingFactor) Read(IReadOnlyDictionary<string, string> metadata)
    {
        try
        {
            var mean = metadata.TryGetValue(MeanKey, out var m) ? JsonSerializer.Deserialize<double[]>(m) : null;
            var std = metadata.TryGetValue(StdKey, out var s) ? JsonSerializer.Deserialize<double[]>(s) : null;
            double? scale = metadata.TryGetValue(ScalingFactorKey, out var f) ? double.Parse(f, CultureInfo.InvariantCulture) : null;
            return (mean, std, scale);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new InvalidInputException($"the model's latent statistics metadata is not readable: {e.Message}");
        }
    }
}
