using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Dataset;

/// <summary>
/// Per-channel mean and standard deviation of latents over a data set, and the normalisation made from them:
/// <c>z_norm = (z − latents_mean) / latents_std</c> per channel, with <c>latents_std</c> a standard deviation (never its
/// reciprocal). Sums are float64 and add across shards.
/// </summary>
internal sealed record LatentStatistics(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("samples")] long Samples,
    [property: JsonPropertyName("values_per_channel")] long ValuesPerChannel,
    [property: JsonPropertyName("latents_mean")] IReadOnlyList<double> Mean,
    [property: JsonPropertyName("latents_std")] IReadOnlyList<double> Std,
    [property: JsonPropertyName("global_std")] double GlobalStd)
{
    public const string CurrentFormat = "tessera.latent-stats/1";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, IndentSize = 1 };

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public string Sha256() => Convert.ToHexStringLower(SHA256.HashData(ToBytes()));

    public void Save(string path) => AtomicFile.Write(path, s => s.Write(ToBytes()));

    public static LatentStatistics Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"statistics file '{path}' does not exist (make it with 'tessera dataset stats OUT -o {path}')");
        try
        {
            var s = JsonSerializer.Deserialize<LatentStatistics>(File.ReadAllBytes(path), Json);
            if (s is { Format: CurrentFormat, Mean: not null, Std: not null } && s.Mean.Count == s.Std.Count && s.Mean.Count > 0
                && s.Std.All(v => v > 0 && double.IsFinite(v)) && s.Mean.All(double.IsFinite))
                return s;
        }
        catch (JsonException)
        {
        }
        throw new InvalidInputException($"statistics file '{path}' is not a {CurrentFormat} file with a positive finite std per channel");
    }

    /// <summary>
    /// Statistics of every latents sample in the tars of an output folder (shard order, tar order). <paramref name="progress"/>
    /// receives the number of samples read after each tar; <paramref name="cancellationToken"/> is checked between samples
    /// (a cancelled call throws <see cref="OperationCanceledException"/>; it writes nothing).
    /// </summary>
    /// <exception cref="InvalidInputException">The folder holds no tars or no latents.</exception>
    public static LatentStatistics Of(string output, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var tars = Directory.Exists(output) ? Directory.EnumerateFiles(output, "shard-*.tar").Order(StringComparer.Ordinal).ToArray() : [];
        if (tars.Length == 0) throw new InvalidInputException($"'{output}' holds no shard tars (shard-*.tar); encode a plan into it first");
        double[]? sum = null, squares = null;
        long samples = 0, perChannel = 0;
        foreach (var tar in tars)
        {
            foreach (var member in UstarArchive.List(tar).Where(m => m.Name.EndsWith(".safetensors", StringComparison.Ordinal)))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (shape, values) = Latents(UstarArchive.Read(tar, member), $"{tar}: {member.Name}");
                var channels = (int)shape[0];
                sum ??= new double[channels];
                squares ??= new double[channels];
                if (sum.Length != channels) throw new InvalidDataException($"{tar}: {member.Name} has {channels} latent channels, earlier samples {sum.Length}");
                var each = values.Length / channels;
                for (var c = 0; c < channels; c++)
                    for (var i = c * each; i < (c + 1) * each; i++)
                    {
                        sum[c] += values[i];
                        squares[c] += (double)values[i] * values[i];
                    }
                perChannel += each;
                samples++;
            }
            progress?.Report(samples);
        }
        if (sum is null || squares is null || perChannel == 0) throw new InvalidInputException($"'{output}' holds no latents (a discrete model's tokens have no channel statistics)");
        var mean = sum.Select(s => s / perChannel).ToArray();
        var std = squares.Select((q, c) => Math.Sqrt(Math.Max(0, q / perChannel - mean[c] * mean[c]))).ToArray();
        var all = (double)perChannel * sum.Length;
        var globalMean = sum.Sum() / all;
        var globalStd = Math.Sqrt(Math.Max(0, squares.Sum() / all - globalMean * globalMean));
        return new LatentStatistics(CurrentFormat, samples, perChannel, mean, std, globalStd);
    }

    /// <summary>The float32 tensor 'latents' [C, ...] of a token file held in memory.</summary>
    private static (long[] Shape, float[] Values) Latents(byte[] file, string where)
    {
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        using var header = JsonDocument.Parse(file.AsMemory(8, checked((int)headerLength)));
        if (!header.RootElement.TryGetProperty(Tokens.TokenFile.LatentsKey, out var entry) || entry.GetProperty("dtype").GetString() != "F32")
            throw new InvalidInputException($"{where}: holds no float32 'latents' (statistics need a continuous model's latents)");
        var shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var offsets = entry.GetProperty("data_offsets");
        var begin = checked((int)(8 + headerLength + offsets[0].GetInt64()));
        var end = checked((int)(8 + headerLength + offsets[1].GetInt64()));
        var values = new float[(end - begin) / 4];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(begin + 4 * i, 4));
        return (shape, values);
    }
}
