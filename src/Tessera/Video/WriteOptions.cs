namespace Tessera.Video;

/// <summary>Video codecs <see cref="VideoWriter"/> can write.</summary>
public enum VideoCodec
{
    /// <summary>H.264 (libx264), yuv420p, quality set by <see cref="WriteOptions.Crf"/>. Lossy.</summary>
    H264,

    /// <summary>FFV1 in RGB (bgr0): bit-exact lossless.</summary>
    Ffv1,
}

/// <summary>Options for <see cref="VideoWriter.Write"/>.</summary>
public sealed record WriteOptions
{
    /// <summary>Codec override; null picks by extension (.mp4/.mov → H.264, .mkv → FFV1).</summary>
    public VideoCodec? Codec { get; init; }

    /// <summary>Request lossless output: FFV1 (needs a container that holds it: .mkv or .avi).</summary>
    public bool Lossless { get; init; }

    /// <summary>libx264 constant rate factor (0–51, lower is better; default 18).</summary>
    public int Crf { get; init; } = 18;

    /// <summary>libx264 preset (default "medium").</summary>
    public string Preset { get; init; } = "medium";

    /// <summary>H.264 at CRF 18, preset "medium".</summary>
    public static WriteOptions Default { get; } = new();
}
