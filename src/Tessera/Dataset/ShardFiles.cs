using System.Globalization;

namespace Tessera.Dataset;

/// <summary>The names of one shard's files in an output folder.</summary>
internal static class ShardFiles
{
    public static string Stem(int shard) => string.Create(CultureInfo.InvariantCulture, $"shard-{shard:D5}");
    public static string Tar(int shard, int part) => string.Create(CultureInfo.InvariantCulture, $"{Stem(shard)}-{part:D5}.tar");
    public static string Index(int shard) => Stem(shard) + ".parquet";
    public static string Report(int shard) => Stem(shard) + ".report.json";
    public static string Marker(int shard) => Stem(shard) + ".done.json";

    /// <summary>The shard's tokens as a Megatron-LM indexed dataset (with <c>--format megatron</c>): data file.</summary>
    public static string MegatronBin(int shard) => Stem(shard) + ".bin";

    /// <summary>The Megatron index file beside <see cref="MegatronBin"/>.</summary>
    public static string MegatronIdx(int shard) => Stem(shard) + ".idx";

    /// <summary>Seconds and rates of the run that finished the shard: the one output that differs between runs.</summary>
    public static string Timing(int shard) => Stem(shard) + ".timing.json";

    /// <summary>Hidden folder of finished clips not yet packed into a tar; removed when the shard is done.</summary>
    public static string Work(int shard) => "." + Stem(shard) + ".work";
}
