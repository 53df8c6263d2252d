namespace Tessera.Video;

/// <summary>VidTok's frame-rate sampling rule.</summary>
internal static class FrameSampling
{
    /// <summary>
    /// <c>max(1, round(sourceFps / targetFps))</c> with Python's round (half to even); 1 when <paramref name="targetFps"/> is null.
    /// Frames 0, interval, 2·interval, … are kept and the sampled clip plays at <c>sourceFps / interval</c>.
    /// </summary>
    public static int Interval(double sourceFps, double? targetFps)
    {
        if (targetFps is not { } t) return 1;
        var r = Math.Round(sourceFps / t, MidpointRounding.ToEven);
        return r < 1 ? 1 : r > int.MaxValue ? int.MaxValue : (int)r;
    }
}
