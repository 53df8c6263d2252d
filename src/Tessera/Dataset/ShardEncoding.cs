using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tessera.Dataset;

/// <summary>
/// How a shard turns each clip's code into stored values, beyond the model: which latent the posterior gives (its mean,
/// or a sample seeded per clip), whether the log-variance is stored, the scaling factor of the normalisation, the
/// vocabulary offset of token ids and whether a Megatron indexed dataset is written too. Recorded in every sample and in
/// the done-marker, so shards encoded differently never mix in one folder.
/// </summary>
internal sealed record ShardEncoding
{
    /// <summary>Seed of the posterior samples; null stores the posterior mean (deterministic).</summary>
    public long? SampleSeed { get; init; }

    /// <summary>Store the posterior log-variance beside the latents (tensor <c>logvar</c>), so trainers can resample.</summary>
    public bool LogVar { get; init; }

    /// <summary>The <c>scaling_factor</c> of <c>z_norm = (z − latents_mean) · scaling_factor / latents_std</c>.</summary>
    public double ScalingFactor { get; init; } = 1;

    /// <summary>Added to token ids in the Megatron output, and recorded for trainers sharing one vocabulary between modalities.</summary>
    public long VocabularyOffset { get; init; }

    /// <summary>Also write each shard's tokens as a Megatron-LM indexed dataset (<c>.bin</c>/<c>.idx</c>).</summary>
    public bool Megatron { get; init; }

    /// <summary>The posterior a record names: "mean" or "sample".</summary>
    public string Posterior => SampleSeed is null ? "mean" : "sample";

    /// <summary>One line naming every setting that differs from the default; null when none does.</summary>
    public string? Describe()
    {
        var parts = new List<string>();
        if (SampleSeed is { } s) parts.Add(string.Create(CultureInfo.InvariantCulture, $"posterior=sample({s})"));
        if (LogVar) parts.Add("logvar");
        if (ScalingFactor != 1) parts.Add(string.Create(CultureInfo.InvariantCulture, $"scaling_factor={ScalingFactor:R}"));
        if (VocabularyOffset != 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"vocab_offset={VocabularyOffset}"));
        if (Megatron) parts.Add("megatron");
        return parts.Count == 0 ? null : string.Join(",", parts);
    }

    /// <summary>
    /// The seed of one clip's posterior sample: the first 8 bytes of SHA-256("seed:key"), so each clip draws its own noise
    /// and the same clip draws the same noise whichever shard or machine encodes it.
    /// </summary>
    public static ulong ClipSeed(long seed, string key) =>
        BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{seed}:{key}"))));
}
