namespace Tessera.Video;

/// <summary>
/// Writes a <see cref="VideoClip"/> through ffmpeg, atomically: nothing is left at the target path (and no temporary
/// file beside it) when writing fails.
/// <list type="bullet">
/// <item>.mp4 / .mov: H.264 (libx264, yuv420p, CRF <see cref="WriteOptions.Crf"/>). yuv420p needs even sizes, so an odd
/// height or width is padded by repeating the last row/column once at the bottom/right (only when odd); the file is
/// then 1 px larger in that dimension.</item>
/// <item>.mkv: FFV1 in RGB, bit-exact lossless (H.264 if <see cref="WriteOptions.Codec"/> says so).</item>
/// <item>.avi: FFV1 lossless by default too.</item>
/// <item>a path ending in '/' or an existing directory: PNG frames frame_000000.png, frame_000001.png, … (lossless).</item>
/// <item>.png: one PNG image; the clip must have exactly one frame.</item>
/// </list>
/// The clip's fps is kept (as an exact rational for integer and x/1001 rates).
/// </summary>
public static class VideoWriter
{
    /// <summary>Writes <paramref name="clip"/> to <paramref name="path"/> (format by extension, see above) atomically: a temporary file is renamed into place, so a failed write leaves any existing file untouched. The clip is not disposed.</summary>
    /// <exception cref="InvalidVideoException">The format is unknown, the clip does not fit it, or encoding fails.</exception>
    public static void Write(string path, VideoClip clip, WriteOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(clip);
        options ??= WriteOptions.Default;
        var isDirectory = path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar) || Directory.Exists(path);
        if (!isDirectory && Path.GetExtension(path).Equals(".png", StringComparison.OrdinalIgnoreCase) && clip.FrameCount != 1)
            throw new InvalidVideoException(
                $"{path}: a .png file holds one frame but the clip has {clip.FrameCount}; write to a directory ('{path[..^4]}/') instead");
        using var sink = VideoFrameSink.Open(path, clip.Height, clip.Width, clip.Fps, options);
        sink.Write(clip.Frames);
        sink.Complete();
    }

    internal static VideoCodec ChooseCodec(string path, string ext, WriteOptions options)
    {
        var codec = options.Codec ?? (options.Lossless ? VideoCodec.Ffv1 : ext switch
        {
            ".mp4" or ".mov" => VideoCodec.H264,
            ".mkv" or ".avi" => VideoCodec.Ffv1,
            _ => throw new InvalidVideoException(
                $"{path}: unsupported output extension '{ext}' (use .mp4, .mov, .mkv, .avi, .png or a directory ending in '/')"),
        });
        if (options.Lossless && codec != VideoCodec.Ffv1)
            throw new InvalidVideoException($"{path}: lossless output needs the FFV1 codec, but {codec} was requested");
        if (codec == VideoCodec.Ffv1 && ext is not (".mkv" or ".avi"))
            throw new InvalidVideoException($"{path}: FFV1 (lossless) needs a .mkv or .avi file, not '{ext}'");
        if (codec == VideoCodec.H264 && ext is not (".mp4" or ".mov" or ".mkv" or ".avi"))
            throw new InvalidVideoException($"{path}: unsupported output extension '{ext}' for H.264");
        return codec;
    }
}
