namespace Tessera.Models.VidTok;

/// <summary>Which of the three official VidTok implementations a model follows.</summary>
internal enum VidTokFamily
{
    /// <summary><c>model_3dcausal</c>: zero front padding; takes 1+4k frames.</summary>
    CausalV1_0,
    /// <summary><c>model_3dcausal_v1_1</c>: replicate front padding, streaming caches; any frame count.</summary>
    CausalV1_1,
    /// <summary><c>model_3dnoncausal</c>: symmetric temporal padding; takes a multiple of 4 frames.</summary>
    NonCausal,
}

internal enum NormType { LayerNorm, GroupNorm }

internal enum TemporalInterpolation { Nearest, Trilinear }

/// <summary>The bottleneck between encoder and decoder.</summary>
internal abstract record Bottleneck
{
    /// <summary>Channels of the latent the decoder consumes.</summary>
    public abstract int LatentChannels { get; }
}

/// <summary>Finite scalar quantisation (Mentzer et al. 2023) with one level count per latent channel.</summary>
internal sealed record FsqBottleneck(IReadOnlyList<int> Levels) : Bottleneck
{
    public override int LatentChannels => Levels.Count;
    public long CodebookSize => Levels.Aggregate(1L, (a, l) => a * l);

    public bool Equals(FsqBottleneck? other) => other is not null && Levels.SequenceEqual(other.Levels);
    public override int GetHashCode() => Levels.Aggregate(17, HashCode.Combine);
}

/// <summary>Diagonal Gaussian (KL) bottleneck: the encoder emits mean and log-variance.</summary>
internal sealed record KlBottleneck(int Channels) : Bottleneck
{
    public override int LatentChannels => Channels;
}

/// <summary>
/// Every knob of a VidTok encoder/decoder pair, named like the official YAML keys.
/// Lists default to the official layout when null (see <see cref="SpatialDownsampleLevels"/> and friends).
/// </summary>
internal sealed record VidTokConfig : ModelConfig
{
    public VidTokFamily Family { get; init; } = VidTokFamily.CausalV1_0;
    public int Ch { get; init; } = 128;
    public IReadOnlyList<int> ChMult { get; init; } = [1, 2, 4, 4];
    public int NumResBlocks { get; init; } = 2;
    public int InChannels { get; init; } = 3;
    public int OutCh { get; init; } = 3;
    public int TimeDownsampleFactor { get; init; } = 4;
    public NormType NormType { get; init; } = NormType.LayerNorm;
    public TemporalInterpolation InterpolationMode { get; init; } = TemporalInterpolation.Nearest;
    public IReadOnlyList<int>? SpatialDs { get; init; }
    public IReadOnlyList<int>? SpatialUs { get; init; }
    public IReadOnlyList<int>? TempoDs { get; init; }
    public IReadOnlyList<int>? TempoUs { get; init; }
    public required Bottleneck Regularizer { get; init; }

    /// <summary>Channels the encoder's conv_out emits (2·z for KL, since it carries mean and log-variance).</summary>
    public int EncoderOutChannels => Regularizer is KlBottleneck k ? 2 * k.Channels : Regularizer.LatentChannels;
    public int ZChannels => Regularizer.LatentChannels;
    public int Levels => ChMult.Count;
    public bool IsCausal => Family != VidTokFamily.NonCausal;

    public override string FamilyName => VidTokFamilyProvider.FamilyName;
    public override ModelCard Card => VidTokCard.Of(this);

    // Official defaults (model_3dcausal*.py); the non-causal family ignores the config lists.
    public IReadOnlyList<int> SpatialDownsampleLevels =>
        Family == VidTokFamily.NonCausal || SpatialDs is null ? Enumerable.Range(0, Levels - 1).ToArray() : SpatialDs;
    public IReadOnlyList<int> SpatialUpsampleLevels =>
        Family == VidTokFamily.NonCausal || SpatialUs is null ? Enumerable.Range(1, Levels - 1).ToArray() : SpatialUs;
    public IReadOnlyList<int> TemporalDownsampleLevels =>
        Family == VidTokFamily.NonCausal || TempoDs is null ? [Levels - 2, Levels - 3] : TempoDs;
    public IReadOnlyList<int> TemporalUpsampleLevels =>
        Family == VidTokFamily.NonCausal || TempoUs is null ? [1, 2] : TempoUs;

    /// <summary>Temporal down-samplers actually built: only at levels that also down-sample spatially.</summary>
    public int TemporalDownsampleCount =>
        TemporalDownsampleLevels.Count(l => SpatialDownsampleLevels.Contains(l));

    public Compression Compression => new(
        1 << TemporalDownsampleCount,
        1 << SpatialDownsampleLevels.Count,
        1 << SpatialDownsampleLevels.Count);

    public bool Equals(VidTokConfig? o) =>
        o is not null && Name == o.Name && Family == o.Family && Ch == o.Ch && ChMult.SequenceEqual(o.ChMult) &&
        NumResBlocks == o.NumResBlocks && InChannels == o.InChannels && OutCh == o.OutCh &&
        TimeDownsampleFactor == o.TimeDownsampleFactor && NormType == o.NormType &&
        InterpolationMode == o.InterpolationMode && SeqEq(SpatialDs, o.SpatialDs) && SeqEq(SpatialUs, o.SpatialUs) &&
        SeqEq(TempoDs, o.TempoDs) && SeqEq(TempoUs, o.TempoUs) && Regularizer.Equals(o.Regularizer);

    public override int GetHashCode() => HashCode.Combine(Name, Family, Ch, NumResBlocks, Regularizer);

    private static bool SeqEq(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        a is null ? b is null : b is not null && a.SequenceEqual(b);

    /// <summary>Throws <see cref="ConfigException"/> naming the key when the settings cannot build a model.</summary>
    public void Validate()
    {
        VidTokConfigBounds.Check(this);
        if (Ch <= 0) throw new ConfigException($"config '{Name}': ch must be positive, got {Ch}");
        if (ChMult.Count < 2 || ChMult.Any(m => m <= 0)) throw new ConfigException($"config '{Name}': ch_mult needs at least 2 positive entries, got [{string.Join(", ", ChMult)}]");
        if (NumResBlocks <= 0) throw new ConfigException($"config '{Name}': num_res_blocks must be positive, got {NumResBlocks}");
        if (InChannels != 3 || OutCh != 3) throw new ConfigException($"config '{Name}': in_channels and out_ch must be 3 (RGB), got {InChannels} and {OutCh}");
        if (TimeDownsampleFactor <= 0) throw new ConfigException($"config '{Name}': time_downsample_factor must be positive, got {TimeDownsampleFactor}");
        if (NormType == NormType.GroupNorm && (Ch % 32 != 0 || ChMult.Any(m => Ch * m % 32 != 0)))
            throw new ConfigException($"config '{Name}': norm_type groupnorm needs channel widths divisible by 32");
        if (InterpolationMode == TemporalInterpolation.Trilinear && Family != VidTokFamily.CausalV1_1)
            throw new ConfigException($"config '{Name}': interpolation_mode trilinear is only read by the causal v1.1 model (model_3dcausal_v1_1), not {Family}");
        if (Family == VidTokFamily.NonCausal && (SpatialDs ?? SpatialUs ?? TempoDs ?? TempoUs) is not null)
            throw new ConfigException($"config '{Name}': spatial_ds, spatial_us, tempo_ds and tempo_us are fixed in the non-causal model (model_3dnoncausal); leave them unset");
        CheckLevels("spatial_ds", SpatialDs);
        CheckLevels("spatial_us", SpatialUs);
        CheckLevels("tempo_ds", TempoDs);
        CheckLevels("tempo_us", TempoUs);
        switch (Regularizer)
        {
            case FsqBottleneck f when f.Levels.Count == 0 || f.Levels.Any(l => l < 2):
                throw new ConfigException($"config '{Name}': FSQ levels must be at least 2 each, got [{string.Join(", ", f.Levels)}]");
            case KlBottleneck k when k.Channels <= 0:
                throw new ConfigException($"config '{Name}': z_channels must be positive, got {k.Channels}");
        }
        if (Family != VidTokFamily.NonCausal && Compression.Time != TimeDownsampleFactor)
            throw new ConfigException($"config '{Name}': time_downsample_factor is {TimeDownsampleFactor} but tempo_ds builds {Compression.Time}x temporal compression");
        if (Family != VidTokFamily.NonCausal && TemporalUpsampleLevels.Count(l => SpatialUpsampleLevels.Contains(l)) != TemporalDownsampleCount)
            throw new ConfigException($"config '{Name}': tempo_us and tempo_ds build different numbers of temporal samplers");
    }

    private void CheckLevels(string key, IReadOnlyList<int>? levels)
    {
        if (levels is null) return;
        foreach (var l in levels)
            if (l < 0 || l >= Levels) throw new ConfigException($"config '{Name}': {key} names level {l}, but ch_mult has {Levels} levels");
        if (levels.Distinct().Count() != levels.Count)
            throw new ConfigException($"config '{Name}': {key} lists a level twice: [{string.Join(", ", levels)}]");
    }
}
