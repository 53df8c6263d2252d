namespace Tessera.Video;

/// <summary>
/// Reads a video file (any container/codec ffmpeg decodes), a directory of image frames, or a single image into a
/// <see cref="VideoClip"/>, applying <see cref="ReadOptions"/> (seek, fps sampling, frame limit, resize) while
/// streaming, so full-size frames are only ever held one batch at a time. Requires ffmpeg and ffprobe on PATH.
/// </summary>
public static class VideoReader
{
    /// <summary>
    /// Reads <paramref name="path"/>: a directory (or a path ending in '/') is read as image frames sorted by natural file-name
    /// order; a .png/.jpg/.jpeg/.bmp/.webp file as a one-frame clip; anything else as a video through ffmpeg.
    /// Frame directories and images play at <see cref="ReadOptions.SourceFps"/>; only the frames the options select are
    /// decoded (and checked to share the first selected frame's size). Videos are decoded with every frame passed through
    /// (no frame-rate conversion, autorotation applied) and sampled by index as VidTok does.
    /// </summary>
    /// <exception cref="InvalidVideoException">The input is missing, unreadable, corrupt, truncated, has no video stream,
    /// or yields no frames for the options; the message names the file.</exception>
    public static VideoClip Read(string path, ReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= ReadOptions.Default;
        options.Validate(path);
        if (Directory.Exists(path)) return FrameDirectoryReader.Read(path, options);
        if (path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar))
            throw new InvalidVideoException($"{path}: frame directory not found");
        if (!File.Exists(path)) throw new InvalidVideoException($"{path}: file not found");
        if (ImageDecoder.IsImage(path)) return FrameDirectoryReader.ReadImages(path, [path], options);
        return VideoFileReader.Read(path, options);
    }

    /// <summary>
    /// Size, frame rate and (when the container states it, else estimated from the duration) frame count of a video
    /// file, without decoding frames.
    /// </summary>
    /// <exception cref="InvalidVideoException">The file is missing, unreadable or has no video stream.</exception>
    public static VideoSource Probe(string path)
    {
        if (!File.Exists(path)) throw new InvalidVideoException($"{path}: file not found");
        var info = StreamInfo.Probe(path);
        var frames = info.FrameCount ?? (info.Duration is { } d && info.Fps > 0 ? (long)Math.Floor(d * info.Fps) : null);
        return new VideoSource(path, info.Width, info.Height, info.Fps, frames, 0);
    }
}
