using System.Globalization;
using static TorchSharp.torch;

namespace Tessera.Video;

/// <summary>
/// Writes a video a few frames at a time, as they are produced, to any output <see cref="VideoWriter"/> writes (a video
/// file, a frame directory, a one-frame .png), through one FFmpeg process fed on stdin. Atomic like
/// <see cref="VideoWriter"/>: frames go to a temporary file or folder beside the target, which <see cref="Complete"/>
/// renames into place; disposing an incomplete sink deletes it and leaves the target as it was.
/// </summary>
public sealed class VideoFrameSink : IDisposable
{
    private readonly string path;
    private readonly string temporary;
    private readonly Kind kind;
    private readonly FFmpegProcess ffmpeg;
    private readonly Task copyOut;
    private readonly Stream? pngStream;
    private string? broken;
    private bool done;

    private enum Kind { File, Directory, Png }

    private VideoFrameSink(string path, string temporary, Kind kind, FFmpegProcess ffmpeg, Stream? pngStream, int height, int width)
    {
        this.path = path;
        this.temporary = temporary;
        this.kind = kind;
        this.ffmpeg = ffmpeg;
        this.pngStream = pngStream;
        Height = height;
        Width = width;
        copyOut = Task.Run(() => ffmpeg.Stdout.CopyTo(pngStream ?? Stream.Null));
    }

    /// <summary>Frame height in pixels.</summary>
    public int Height { get; }

    /// <summary>Frame width in pixels.</summary>
    public int Width { get; }

    /// <summary>Frames written so far.</summary>
    public int FramesWritten { get; private set; }

    /// <summary>
    /// Starts writing <paramref name="height"/>x<paramref name="width"/> frames at <paramref name="fps"/> to
    /// <paramref name="path"/>, chosen by its form as <see cref="VideoWriter.Write"/> chooses.
    /// </summary>
    /// <exception cref="InvalidVideoException">The extension, codec or options cannot make this output, or FFmpeg cannot start.</exception>
    public static VideoFrameSink Open(string path, int height, int width, double fps, WriteOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= WriteOptions.Default;
        if (height <= 0 || width <= 0) throw new InvalidVideoException($"{path}: frame size {width}x{height} is not positive");
        if (!(fps > 0 && double.IsFinite(fps))) throw new InvalidVideoException($"{path}: fps must be positive, got {fps}");
        var input = InputArgs(height, width, fps);
        if (path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar) || Directory.Exists(path))
        {
            var full = Path.GetFullPath(path.TrimEnd('/', '\\'));
            var parent = Path.GetDirectoryName(full)!;
            Directory.CreateDirectory(parent);
            var tmp = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
            Directory.CreateDirectory(tmp);
            input.AddRange(["-c:v", "png", "-f", "image2", "-start_number", "0", "-y",
                FFmpegArgs.FileUrl(Path.Combine(tmp.Replace("%", "%%"), "frame_%06d.png"))]);
            return Start(path, tmp, Kind.Directory, input, null, height, width);
        }
        var ext = Path.GetExtension(path).ToLowerInvariant();
        var target = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(dir);
        if (ext == ".png")
        {
            var tmp = Path.Combine(dir, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
            var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            input.AddRange(["-frames:v", "1", "-c:v", "png", "-f", "image2pipe", "pipe:1"]);
            return Start(path, tmp, Kind.Png, input, stream, height, width);
        }
        var codec = VideoWriter.ChooseCodec(path, ext, options);
        // Same naming scheme as AtomicFile, but keeping the extension so ffmpeg picks the right muxer; mp4/mov need a
        // seekable file (the index is written last), so ffmpeg writes the temporary file itself and we rename it.
        var file = Path.Combine(dir, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp{ext}");
        if (codec == VideoCodec.H264)
        {
            if (options.Crf is < 0 or > 51)
                throw new InvalidVideoException($"{path}: CRF must be within 0–51, got {options.Crf}");
            if (PadToEven(height, width) is { } filter) input.AddRange(["-vf", filter]);
            input.AddRange(["-c:v", "libx264", "-preset", options.Preset, "-crf", options.Crf.ToString(CultureInfo.InvariantCulture),
                "-pix_fmt", "yuv420p"]);
            if (ext is ".mp4" or ".mov") input.AddRange(["-movflags", "+faststart"]);
        }
        else
        {
            input.AddRange(["-c:v", "ffv1", "-level", "3", "-pix_fmt", "bgr0"]);
        }
        input.AddRange(["-y", FFmpegArgs.FileUrl(file)]);
        return Start(path, file, Kind.File, input, null, height, width);
    }

    private static VideoFrameSink Start(string path, string temporary, Kind kind, List<string> args, Stream? png, int height, int width)
    {
        try
        {
            return new VideoFrameSink(path, temporary, kind, FFmpegProcess.Start(FFmpegProcess.FfmpegExecutable, args, path, stdin: true), png, height, width);
        }
        catch
        {
            png?.Dispose();
            Delete(temporary, kind);
            throw;
        }
    }

    /// <summary>Appends frames, uint8 [n, H, W, 3] RGB; the tensor stays the caller's.</summary>
    /// <exception cref="InvalidVideoException">The frames have another size, or (for a .png) there is more than one.</exception>
    public void Write(Tensor frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (done) throw new InvalidOperationException("the video is complete");
        if (frames.dtype != ScalarType.Byte || frames.dim() != 4 || frames.shape[1] != Height || frames.shape[2] != Width || frames.shape[3] != 3)
            throw new InvalidVideoException($"{path}: frames must be uint8 [n, {Height}, {Width}, 3], got {frames.dtype} [{string.Join(", ", frames.shape)}]");
        if (kind == Kind.Png && FramesWritten + frames.shape[0] > 1)
            throw new InvalidVideoException(
                $"{path}: a .png file holds one frame but the clip has {FramesWritten + frames.shape[0]}; write to a directory ('{path[..^4]}/') instead");
        if (broken is not null) return; // ffmpeg has stopped; Complete reports why
        for (var t = 0; t < frames.shape[0]; t++)
        {
            using var scope = NewDisposeScope();
            var frame = frames[t].contiguous();
            try
            {
                ffmpeg.Stdin.Write(frame.bytes);
            }
            catch (IOException e)
            {
                broken = e.Message; // ffmpeg exited early; its stderr says why
                return;
            }
            FramesWritten++;
        }
    }

    /// <summary>Ends the video: FFmpeg finishes the file, which is renamed over the target.</summary>
    /// <exception cref="InvalidVideoException">No frame was written, or FFmpeg failed; the target is left as it was.</exception>
    public void Complete()
    {
        if (done) return;
        if (FramesWritten == 0 && broken is null)
            throw new InvalidVideoException($"{path}: no frames to write");
        try { ffmpeg.Stdin.Flush(); } catch (IOException e) { broken ??= e.Message; }
        try { ffmpeg.Stdin.Close(); } catch (IOException) { } // end of input: ffmpeg finishes and closes stdout
        copyOut.GetAwaiter().GetResult();
        var exit = ffmpeg.WaitForExit(out var stderr);
        if (exit != 0 || broken is not null)
            throw new InvalidVideoException(
                $"{path}: ffmpeg failed to write the video (exit code {exit}: {FFmpegProcess.Tail(stderr)}{(broken is null ? "" : "; " + broken)})");
        switch (kind)
        {
            case Kind.File:
                File.Move(temporary, Path.GetFullPath(path), overwrite: true);
                break;
            case Kind.Png:
                pngStream!.Flush();
                ((FileStream)pngStream).Flush(flushToDisk: true);
                pngStream.Dispose();
                File.Move(temporary, Path.GetFullPath(path), overwrite: true);
                break;
            case Kind.Directory:
                MoveDirectory(temporary, path);
                break;
        }
        done = true;
    }

    private static void MoveDirectory(string temporary, string path)
    {
        var full = Path.GetFullPath(path.TrimEnd('/', '\\'));
        try
        {
            if (Directory.Exists(full))
            {
                if (Directory.EnumerateFileSystemEntries(full).Any())
                    throw new IOException($"output directory '{path}' exists and is not empty");
                Directory.Delete(full);
            }
            Directory.Move(temporary, full);
        }
        catch (IOException e)
        {
            throw new InvalidVideoException($"{path}: cannot write frame directory ({e.Message})", e);
        }
    }

    /// <summary>Stops FFmpeg; an incomplete video's temporary file or folder is deleted.</summary>
    public void Dispose()
    {
        ffmpeg.Dispose();
        try { copyOut.Wait(); } catch (AggregateException) { }
        pngStream?.Dispose();
        if (!done) Delete(temporary, kind);
        done = true;
    }

    private static void Delete(string temporary, Kind kind)
    {
        try
        {
            if (kind == Kind.Directory) { if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true); }
            else File.Delete(temporary);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// yuv420p needs even sizes: an odd height/width gets one more row/column at the bottom/right, a copy of the last one
    /// (pad, then fillborders smear), so chroma at the edge is not pulled toward a foreign colour. Null when already even.
    /// </summary>
    private static string? PadToEven(int height, int width)
    {
        int bottom = height % 2, right = width % 2;
        if (bottom == 0 && right == 0) return null;
        return $"pad={width + right}:{height + bottom}:0:0,fillborders=right={right}:bottom={bottom}:mode=smear";
    }

    private static List<string> InputArgs(int height, int width, double fps) =>
    [
        "-hide_banner", "-v", "error", "-nostats",
        "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-s", $"{width}x{height}", "-r", FFmpegArgs.Rate(fps), "-i", "pipe:0",
        "-an", "-sn", "-dn",
    ];
}
