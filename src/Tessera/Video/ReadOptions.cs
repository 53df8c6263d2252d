namespace Tessera.Video;

/// <summary>How <see cref="ResizeMode"/> maps source frames onto the requested size.</summary>
public enum ResizeMode
{
    /// <summary>
    /// Scale so the shorter side fits (keeping the aspect ratio, the other side truncated to an integer as torchvision
    /// does), then centre-crop to the requested size: torchvision <c>Resize(short, antialias=True)</c> + <c>CenterCrop</c>.
    /// </summary>
    ShortSideCenterCrop,

    /// <summary>Scale straight to the requested height and width, ignoring the aspect ratio.</summary>
    Exact,
}

/// <summary>Options for <see cref="VideoReader.Read"/>.</summary>
public sealed record ReadOptions
{
    /// <summary>
    /// Target frame rate, or null to keep every frame. Frames are sampled as VidTok does:
    /// <c>interval = max(1, round(sourceFps / Fps))</c> (round half to even, as Python), keeping frames
    /// 0, interval, 2·interval, … counted from <see cref="Start"/>; the clip's fps becomes <c>sourceFps / interval</c>.
    /// </summary>
    public double? Fps { get; init; }

    /// <summary>Seconds to skip at the start (accurate: the first frame kept is the first with timestamp ≥ Start).</summary>
    public double Start { get; init; }

    /// <summary>Maximum number of frames to keep after sampling; null keeps all.</summary>
    public int? FrameCount { get; init; }

    /// <summary>Output size (height, width), or null to keep the source size.</summary>
    public (int Height, int Width)? Size { get; init; }

    /// <summary>How frames are fitted to <see cref="Size"/>.</summary>
    public ResizeMode ResizeMode { get; init; } = ResizeMode.ShortSideCenterCrop;

    /// <summary>Frame rate assumed for frame directories and single images (default 30).</summary>
    public double SourceFps { get; init; } = 30;

    /// <summary>
    /// When false (the default) a decode that reports errors (for example a truncated file) fails with
    /// <see cref="InvalidVideoException"/>; when true the frames decoded so far are returned and the problem is
    /// listed in <see cref="VideoClip.Warnings"/>. A decode with no frames always fails.
    /// </summary>
    public bool AllowDecodeErrors { get; init; }

    /// <summary>
    /// Reach <see cref="Start"/> by decoding from the beginning of the file and dropping the frames before it, instead
    /// of seeking to the key frame before it. Slower, but right on files whose key frames do not start a clean decode
    /// (reading falls back to it by itself when the first frames after a seek report decode errors).
    /// </summary>
    internal bool DecodeFromStart { get; init; }

    /// <summary>Frames decoded per batch before resizing; bounds memory for large sources (default 16).</summary>
    public int BatchFrames { get; init; } = 16;

    /// <summary>The defaults: native size and rate, every frame, errors fail the read.</summary>
    public static ReadOptions Default { get; } = new();

    internal void Validate(string path)
    {
        if (Fps is { } f && !(f > 0 && double.IsFinite(f)))
            throw new InvalidVideoException($"{path}: target fps must be positive, got {f}");
        if (!(Start >= 0 && double.IsFinite(Start)))
            throw new InvalidVideoException($"{path}: start must be ≥ 0 seconds, got {Start}");
        if (FrameCount is <= 0)
            throw new InvalidVideoException($"{path}: frame count must be positive, got {FrameCount}");
        if (Size is { } s && (s.Height <= 0 || s.Width <= 0))
            throw new InvalidVideoException($"{path}: size must be positive, got {s.Width}x{s.Height} (width x height)");
        if (!(SourceFps > 0 && double.IsFinite(SourceFps)))
            throw new InvalidVideoException($"{path}: source fps must be positive, got {SourceFps}");
        if (BatchFrames <= 0)
            throw new InvalidVideoException($"{path}: batch frames must be positive, got {BatchFrames}");
    }
}
