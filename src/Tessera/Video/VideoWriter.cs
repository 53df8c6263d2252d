using System.Globalization;
using static TorchSharp.torch;

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
        if (path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar) || Directory.Exists(path))
        {
            WriteFrameDirectory(path, clip);
            return;
        }
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext == ".png")
        {
            WritePng(path, clip);
            return;
        }
        var codec = ChooseCodec(path, ext, options);
        WriteVideoFile(path, ext, clip, codec, options);
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

    private static void WriteVideoFile(string path, string ext, VideoClip clip, VideoCodec codec, WriteOptions options)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        // Same naming scheme as AtomicFile, but keeping the extension so ffmpeg picks the right muxer; mp4/mov need a
        // seekable file (the index is written last), so ffmpeg writes the temporary file itself and we rename it.
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp{ext}");
        try
        {
            var args = InputArgs(clip);
            if (codec == VideoCodec.H264)
            {
                if (options.Crf is < 0 or > 51)
                    throw new InvalidVideoException($"{path}: CRF must be within 0–51, got {options.Crf}");
                if (PadToEven(clip) is { } filter) args.AddRange(["-vf", filter]);
                args.AddRange(["-c:v", "libx264", "-preset", options.Preset, "-crf", options.Crf.ToString(CultureInfo.InvariantCulture),
                    "-pix_fmt", "yuv420p"]);
                if (ext is ".mp4" or ".mov") args.AddRange(["-movflags", "+faststart"]);
            }
            else
            {
                args.AddRange(["-c:v", "ffv1", "-level", "3", "-pix_fmt", "bgr0"]);
            }
            args.AddRange(["-y", FFmpegArgs.FileUrl(tmp)]);
            RunWithFrames(path, args, clip, stdout: null);
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static void WriteFrameDirectory(string path, VideoClip clip)
    {
        try
        {
            AtomicFile.WriteDirectory(path, tmp =>
            {
                var args = InputArgs(clip);
                args.AddRange(["-c:v", "png", "-f", "image2", "-start_number", "0", "-y",
                    FFmpegArgs.FileUrl(Path.Combine(tmp.Replace("%", "%%"), "frame_%06d.png"))]);
                RunWithFrames(path, args, clip, stdout: null);
            });
        }
        catch (IOException e)
        {
            throw new InvalidVideoException($"{path}: cannot write frame directory ({e.Message})", e);
        }
    }

    private static void WritePng(string path, VideoClip clip)
    {
        if (clip.FrameCount != 1)
            throw new InvalidVideoException(
                $"{path}: a .png file holds one frame but the clip has {clip.FrameCount}; write to a directory ('{path[..^4]}/') instead");
        AtomicFile.Write(path, stream =>
        {
            var args = InputArgs(clip);
            args.AddRange(["-frames:v", "1", "-c:v", "png", "-f", "image2pipe", "pipe:1"]);
            RunWithFrames(path, args, clip, stream);
        });
    }

    /// <summary>
    /// yuv420p needs even sizes: an odd height/width gets one more row/column at the bottom/right, a copy of the last one
    /// (pad, then fillborders smear), so chroma at the edge is not pulled toward a foreign colour. Null when already even.
    /// </summary>
    private static string? PadToEven(VideoClip clip)
    {
        int bottom = clip.Height % 2, right = clip.Width % 2;
        if (bottom == 0 && right == 0) return null;
        return $"pad={clip.Width + right}:{clip.Height + bottom}:0:0,fillborders=right={right}:bottom={bottom}:mode=smear";
    }

    private static List<string> InputArgs(VideoClip clip) =>
    [
        "-hide_banner", "-v", "error", "-nostats",
        "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-s", $"{clip.Width}x{clip.Height}", "-r", FFmpegArgs.Rate(clip.Fps), "-i", "pipe:0",
        "-an", "-sn", "-dn",
    ];

    /// <summary>Feeds the clip's frames to ffmpeg's stdin; stdout goes to <paramref name="stdout"/> or is discarded.</summary>
    private static void RunWithFrames(string path, List<string> args, VideoClip clip, Stream? stdout)
    {
        using var ffmpeg = FFmpegProcess.Start(FFmpegProcess.FfmpegExecutable, args, path, stdin: true);
        var copyOut = Task.Run(() => ffmpeg.Stdout.CopyTo(stdout ?? Stream.Null));
        string? broken = null;
        try
        {
            var frames = clip.Frames;
            for (var t = 0; t < clip.FrameCount; t++)
            {
                using var scope = NewDisposeScope();
                using var frame = frames[t];
                ffmpeg.Stdin.Write(frame.bytes);
            }
            ffmpeg.Stdin.Flush();
        }
        catch (IOException e)
        {
            broken = e.Message; // ffmpeg exited early; its stderr says why
        }
        finally
        {
            try { ffmpeg.Stdin.Close(); } catch (IOException) { } // end of input: ffmpeg finishes and closes stdout
        }
        copyOut.GetAwaiter().GetResult();
        var exit = ffmpeg.WaitForExit(out var stderr);
        if (exit != 0 || broken is not null)
            throw new InvalidVideoException(
                $"{path}: ffmpeg failed to write the video (exit code {exit}: {FFmpegProcess.Tail(stderr)}{(broken is null ? "" : "; " + broken)})");
    }
}
