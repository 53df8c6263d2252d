namespace Tessera.Models.VidTok;

/// <summary>
/// Upper bounds on what a config (a YAML file, a model file's metadata) may ask Tessera to build, checked before any
/// tensor is allocated: every official VidTok model sits far below them, a hostile file asking for gigabytes does not.
/// </summary>
internal static class VidTokConfigBounds
{
    public const int MaxCh = 1024;
    public const int MaxChMultLevels = 8;
    public const int MaxChMult = 16;
    public const int MaxNumResBlocks = 16;
    public const int MaxTimeDownsampleFactor = 64;
    public const int MaxFsqDims = 64;
    public const int MaxFsqLevel = 1 << 16;
    public const int MaxKlChannels = 1024;

    /// <summary>Most parameters a config may build (estimated from its widths), about 4 GB of float32.</summary>
    public const long MaxParameters = 1_000_000_000;

    internal static void Check(VidTokConfig c)
    {
        void Bound(string key, long value, long max)
        {
            if (value > max) throw new ConfigException($"config '{c.Name}': {key} is {value}, above Tessera's limit of {max}");
        }
        Bound("ch", c.Ch, MaxCh);
        Bound("the length of ch_mult", c.ChMult.Count, MaxChMultLevels);
        foreach (var m in c.ChMult) Bound("a ch_mult entry", m, MaxChMult);
        Bound("num_res_blocks", c.NumResBlocks, MaxNumResBlocks);
        Bound("time_downsample_factor", c.TimeDownsampleFactor, MaxTimeDownsampleFactor);
        switch (c.Regularizer)
        {
            case FsqBottleneck f:
                Bound("the number of FSQ levels", f.Levels.Count, MaxFsqDims);
                foreach (var l in f.Levels) Bound("an FSQ level", l, MaxFsqLevel);
                long size = 1;
                foreach (var l in f.Levels)
                {
                    size *= Math.Max(l, 1);
                    if (size > int.MaxValue)
                        throw new ConfigException($"config '{c.Name}': FSQ levels [{string.Join(", ", f.Levels)}] make a codebook larger than {int.MaxValue:N0} entries (token ids are int32)");
                }
                break;
            case KlBottleneck k:
                Bound("z_channels", k.Channels, MaxKlChannels);
                break;
        }
        var estimate = EstimateParameters(c);
        if (estimate > MaxParameters)
            throw new ConfigException($"config '{c.Name}': ch {c.Ch}, ch_mult [{string.Join(", ", c.ChMult)}] and num_res_blocks {c.NumResBlocks} build about {estimate:N0} parameters, above Tessera's limit of {MaxParameters:N0}");
    }

    /// <summary>An upper estimate of encoder + decoder parameters: 3x3x3 convolutions at each level's width.</summary>
    public static long EstimateParameters(VidTokConfig c)
    {
        long total = 0;
        long top = 0;
        foreach (var m in c.ChMult)
        {
            long w = (long)c.Ch * m;
            top = Math.Max(top, w);
            total += 27 * w * w * (4L * c.NumResBlocks + 2);
        }
        return total + 8 * 27 * top * top;
    }
}
