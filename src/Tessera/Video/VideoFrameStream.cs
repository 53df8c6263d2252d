using System.Globalization;
using static TorchSharp.torch;

namespace Tessera.Video;

/// <summary>
/// The frames of a video file handed out a few at a time as FFmpeg decodes them (rawvideo rgb24 through a pipe, read
/// into one reused buffer, sampled and resized by <see cref="ReadOptions"/> exactly as <see cref="VideoReader.Read"/>
/// does), so a caller that consumes each piece before asking for the next never holds the whole video. A frame
/// directory or a single image is read whole by <see cref="VideoReader.Read"/> and handed out in the same pieces.
/// </summary>
public sealed class VideoFrameStream : IDisposable
{
    private readonly string path;
    private readonly ReadOptions options;
    private readonly FFmpegProcess? ffmpeg;
    private readonly VideoClip? clip;
    private readonly List<string> warnings = [];
    private readonly int sourceHeight, sourceWidth, batchFrames;
    private byte[] buffer = [];
    private bool ended;

    private VideoFrameStream(string path, ReadOptions options, VideoSource source, double fps, FFmpegProcess? ffmpeg, VideoClip? clip, int batchFrames)
    {
        this.path = path;
        this.options = options;
        this.ffmpeg = ffmpeg;
        this.clip = clip;
        this.batchFrames = batchFrames;
        Source = source;
        Fps = fps;
        (sourceHeight, sourceWidth) = (source.Height, source.Width);
        (Height, Width) = options.Size ?? (source.Height, source.Width);
        if (clip is not null) (Height, Width) = (clip.Height, clip.Width);
    }

    /// <summary>Where the frames come from, before sampling and resizing.</summary>
    public VideoSource Source { get; }

    /// <summary>Frame rate of the frames handed out (after sampling).</summary>
    public double Fps { get; }

    /// <summary>Height of the frames handed out (after resizing).</summary>
    public int Height { get; }

    /// <summary>Width of the frames handed out (after resizing).</summary>
    public int Width { get; }

    /// <summary>Frames handed out so far.</summary>
    public int FramesRead { get; private set; }

    /// <summary>Problems tolerated while decoding (see <see cref="ReadOptions.AllowDecodeErrors"/>), known once the stream has ended.</summary>
    public IReadOnlyList<string> Warnings => clip?.Warnings ?? warnings;

    /// <summary>
    /// Opens <paramref name="path"/> as <see cref="VideoReader.Read"/> would read it; a video file's frames are decoded
    /// only as <see cref="Read"/> asks for them.
    /// </summary>
    /// <exception cref="InvalidVideoException">The input is missing, unreadable or has no video stream; the message names the file.</exception>
    public static VideoFrameStream Open(string path, ReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= ReadOptions.Default;
        options.Validate(path);
        if (Directory.Exists(path) || path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar) || !File.Exists(path) || ImageDecoder.IsImage(path))
        {
            var whole = VideoReader.Read(path, options);
            var source = whole.Source ?? new VideoSource(path, whole.Width, whole.Height, whole.Fps, whole.FrameCount, options.Start);
            return new VideoFrameStream(path, options, source, whole.Fps, null, whole, 0);
        }
        var info = StreamInfo.Probe(path);
        var fps = info.Fps;
        var early = new List<string>();
        if (!(fps > 0))
        {
            fps = options.SourceFps;
            early.Add($"{path}: frame rate unknown, assuming {fps.ToString(CultureInfo.InvariantCulture)} fps");
        }
        var interval = FrameSampling.Interval(fps, options.Fps);
        var batch = FrameBudget.Check(path, info.Height, info.Width, options);
        if (options.Start > 0 && !options.DecodeFromStart && !SeekDecodesCleanly(path, options, info.Index))
            options = options with { DecodeFromStart = true };
        var ffmpeg = FFmpegProcess.Start(FFmpegProcess.FfmpegExecutable, Arguments(path, options, info.Index, interval), path);
        var src = new VideoSource(path, info.Width, info.Height, fps, info.FrameCount, options.Start);
        var stream = new VideoFrameStream(path, options, src, fps / interval, ffmpeg, null, batch) { Duration = info.Duration };
        stream.warnings.AddRange(early);
        return stream;
    }

    private double? Duration { get; init; }

    /// <summary>
    /// The next frames, at most <paramref name="maxFrames"/>, as uint8 [n, H, W, 3] RGB (the caller owns the tensor);
    /// null once the stream has ended. A file whose decoding fails fails here, at the frame where FFmpeg stopped.
    /// </summary>
    /// <exception cref="InvalidVideoException">Decoding failed (unless <see cref="ReadOptions.AllowDecodeErrors"/> lets the frames so far stand) or gave no frame at all.</exception>
    public Tensor? Read(int maxFrames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrames, 1);
        if (ended) return null;
        if (clip is not null) return ReadFromClip(maxFrames);
        var frameBytes = sourceHeight * sourceWidth * 3;
        var pieces = new List<Tensor>();
        try
        {
            while (!ended && pieces.Sum(p => p.shape[0]) < maxFrames)
            {
                var want = Math.Min(batchFrames, maxFrames - (int)pieces.Sum(p => p.shape[0]));
                if (buffer.Length < want * frameBytes) buffer = new byte[checked(want * frameBytes)];
                var got = 0;
                while (got < want && !ended)
                {
                    if (options.FrameCount is { } max && FramesRead + got >= max)
                    {
                        End(got);
                        break;
                    }
                    var frame = buffer.AsSpan(got * frameBytes, frameBytes);
                    var n = ffmpeg!.Stdout.ReadAtLeast(frame, frameBytes, throwOnEndOfStream: false);
                    if (n < frameBytes)
                    {
                        if (n > 0) warnings.Add($"{path}: decoder output ended inside a frame ({n} of {frameBytes} bytes)");
                        End(got);
                        break;
                    }
                    got++;
                }
                if (got == 0) break;
                using var scope = NewDisposeScope();
                var t = tensor(buffer.AsSpan(0, got * frameBytes).ToArray(), [got, sourceHeight, sourceWidth, 3], ScalarType.Byte);
                if (options.Size is { } s) t = FrameResize.Fit(t, s.Height, s.Width, options.ResizeMode);
                pieces.Add(t.DetachFromDisposeScope());
                FramesRead += got;
            }
            if (pieces.Count == 0) return null;
            if (pieces.Count == 1) return pieces[0];
            var all = cat(pieces, 0);
            foreach (var p in pieces) p.Dispose();
            return all;
        }
        catch
        {
            foreach (var p in pieces) p.Dispose();
            throw;
        }
    }

    private Tensor ReadFromClip(int maxFrames)
    {
        var n = Math.Min(maxFrames, clip!.FrameCount - FramesRead);
        var piece = clip.Frames.narrow(0, FramesRead, n).clone();
        FramesRead += n;
        if (FramesRead == clip.FrameCount) ended = true;
        return piece;
    }

    // FFmpeg has given its last frame (or the frame limit is reached): its exit code and error output decide whether the
    // frames so far stand.
    private void End(int pendingFrames)
    {
        ended = true;
        var decoded = FramesRead + pendingFrames;
        var exit = ffmpeg!.WaitForExit(out var stderr);
        if (exit != 0 || stderr.Length > 0)
        {
            var problem = $"{path}: decoding failed after {decoded} sampled frame(s), file may be truncated or corrupt " +
                $"(ffmpeg exit code {exit}: {FFmpegProcess.Tail(stderr)})";
            if (decoded == 0 || !options.AllowDecodeErrors) throw new InvalidVideoException(problem);
            warnings.Add(problem);
        }
        if (decoded == 0)
        {
            var where = options.Start > 0
                ? $" at start {options.Start.ToString(CultureInfo.InvariantCulture)} s" +
                  (Duration is { } d ? $" (duration {d.ToString("0.###", CultureInfo.InvariantCulture)} s)" : "")
                : "";
            throw new InvalidVideoException($"{path}: no frames could be decoded{where}");
        }
    }

    // A seek lands on the key frame before the start; on some files decoding from there reports errors and gives
    // damaged frames (imageio_cockatoo.mp4 from 10.05 s: green blocks), where decoding from the beginning is clean. The
    // first frames after the seek tell, for the price of decoding one group of pictures.
    private static bool SeekDecodesCleanly(string path, ReadOptions options, int streamIndex)
    {
        var args = InputArguments(path, options, streamIndex);
        args.AddRange(["-frames:v", "16", "-f", "null", "-"]);
        var (exit, _, stderr) = FFmpegProcess.Run(FFmpegProcess.FfmpegExecutable, args, path);
        return exit == 0 && stderr.Trim().Length == 0;
    }

    // The decoder and the input, shared by the read and the seek check.
    private static List<string> InputArguments(string path, ReadOptions options, int streamIndex)
    {
        var args = new List<string> { "-nostdin", "-hide_banner", "-v", "error" };
        // Slice threads only: frame-threaded decoding conceals damaged or unreferenced macroblocks differently from run
        // to run (imageio_cockatoo.mp4 read from 10.05 s gave different frames each time), which made held-out figures
        // of identical runs differ. Decoding stays far faster than the model (a 720p H.264 file: 120 frames/s).
        args.AddRange(["-thread_type", "slice"]);
        if (options.Start > 0 && !options.DecodeFromStart) args.AddRange(["-ss", FFmpegArgs.Number(options.Start)]); // input seek; accurate by default
        args.AddRange(["-i", FFmpegArgs.FileUrl(path), "-map", $"0:{streamIndex}", "-an", "-sn", "-dn"]);
        return args;
    }

    internal static List<string> Arguments(string path, ReadOptions options, int streamIndex, int interval)
    {
        var args = InputArguments(path, options, streamIndex);
        // Frames are sampled by decode index inside FFmpeg, so skipped frames are never converted to RGB or piped
        // (at 3 fps from a 30 fps source that is 10x less work); `n` counts the frames after the start time, which
        // `trim` (timestamps from 0, as the input seek counts them) drops first when decoding from the beginning.
        var filters = new List<string>();
        if (options.Start > 0 && options.DecodeFromStart) filters.Add($"trim=start={FFmpegArgs.Number(options.Start)}");
        if (interval > 1) filters.Add($"select='not(mod(n,{interval.ToString(CultureInfo.InvariantCulture)}))'");
        if (filters.Count > 0) args.AddRange(["-vf", string.Join(',', filters)]);
        if (options.FrameCount is { } max)
            args.AddRange(["-frames:v", max.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(["-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]);
        return args;
    }

    /// <summary>Stops FFmpeg if it is still running and frees the frames of a directory or image read whole.</summary>
    public void Dispose()
    {
        ffmpeg?.Dispose();
        clip?.Dispose();
    }
}
