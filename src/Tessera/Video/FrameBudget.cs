namespace Tessera.Video;

/// <summary>
/// Limits on the frame sizes an input can make Tessera allocate, checked before any frame buffer exists: a source frame
/// (what FFmpeg decodes), the frames the model sees (after --size), and the bytes one decode batch holds.
/// </summary>
internal static class FrameBudget
{
    /// <summary>Largest source frame Tessera decodes: 8192x8192.</summary>
    public const long MaxSourcePixels = 8192L * 8192;

    /// <summary>Largest frame the model works on (and any intermediate resize): 4096x2304, about 4K UHD.</summary>
    public const long MaxFramePixels = 4096L * 2304;

    /// <summary>Source-size bytes one batch of decoded frames may hold; large frames are batched fewer at a time.</summary>
    public const long MaxBatchBytes = 256L << 20;

    /// <summary>
    /// Checks a <paramref name="height"/>x<paramref name="width"/> source read with <paramref name="options"/>, and returns
    /// how many frames one decode batch may hold.
    /// </summary>
    internal static int Check(string source, int height, int width, ReadOptions options)
    {
        if (height <= 0 || width <= 0)
            throw new InvalidVideoException($"{source}: frame size {width}x{height} is not positive");
        long pixels = (long)height * width;
        if (pixels > MaxSourcePixels)
            throw new InvalidVideoException($"{source}: frames of {width}x{height} exceed Tessera's limit of {MaxSourcePixels:N0} pixels per frame");
        var (th, tw) = Target(height, width, options);
        if (th * tw > MaxFramePixels)
            throw new InvalidVideoException(
                $"{source}: {width}x{height} frames would be {(options.Size is null ? "used" : "resized")} at {tw}x{th} (width x height), above Tessera's limit of {MaxFramePixels:N0} pixels per frame" +
                (options.Size is null ? "; pass --size" : options.ResizeMode == ResizeMode.ShortSideCenterCrop ? "; the aspect ratio is too extreme for a short-side resize, try --exact-resize" : ""));
        var frameBytes = pixels * 3;
        return (int)Math.Clamp(MaxBatchBytes / frameBytes, 1, Math.Max(1, options.BatchFrames));
    }

    /// <summary>The largest frame the resize makes (the cover size before a centre crop), in long arithmetic.</summary>
    private static (long Height, long Width) Target(int height, int width, ReadOptions options)
    {
        if (options.Size is not { } s) return (height, width);
        if (options.ResizeMode == ResizeMode.Exact) return (s.Height, s.Width);
        if ((long)s.Height * width >= (long)s.Width * height)
            return (s.Height, (long)s.Height * width / height);
        return ((long)s.Width * height / width, s.Width);
    }
}
