using System.Globalization;

namespace Tessera.Video;

/// <summary>Streams rgb24 frames of a video file out of ffmpeg, sampling and resizing batch by batch.</summary>
internal static class VideoFileReader
{
    public static VideoClip Read(string path, ReadOptions options)
    {
        var info = StreamInfo.Probe(path);
        var warnings = new List<string>();
        var fps = info.Fps;
        if (!(fps > 0))
        {
            fps = options.SourceFps;
            warnings.Add($"{path}: frame rate unknown, assuming {fps.ToString(CultureInfo.InvariantCulture)} fps");
        }
        var interval = FrameSampling.Interval(fps, options.Fps);

        var args = new List<string> { "-nostdin", "-hide_banner", "-v", "error" };
        if (options.Start > 0) args.AddRange(["-ss", FFmpegArgs.Number(options.Start)]); // input seek; accurate by default
        args.AddRange(["-i", FFmpegArgs.FileUrl(path), "-map", $"0:{info.Index}", "-an", "-sn", "-dn"]);
        // Frames are sampled by decode index inside FFmpeg, so skipped frames are never converted to RGB or piped
        // (at 3 fps from a 30 fps source that is 10x less work); `n` counts the frames after the start time.
        if (interval > 1)
            args.AddRange(["-vf", $"select='not(mod(n,{interval.ToString(CultureInfo.InvariantCulture)}))'"]);
        if (options.FrameCount is { } max)
            args.AddRange(["-frames:v", max.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(["-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]);

        using var acc = new FrameAccumulator(info.Height, info.Width, options, path);
        var decoded = 0L;
        int exit;
        string stderr;
        using (var ffmpeg = FFmpegProcess.Start(FFmpegProcess.FfmpegExecutable, args, path))
        {
            while (true)
            {
                var frame = acc.NextFrame(); // read straight into the batch
                var n = ffmpeg.Stdout.ReadAtLeast(frame, frame.Length, throwOnEndOfStream: false);
                if (n < frame.Length)
                {
                    if (n > 0) warnings.Add($"{path}: decoder output ended inside a frame ({n} of {frame.Length} bytes)");
                    break;
                }
                acc.Commit();
                decoded++;
                if (options.FrameCount is { } m && acc.Count >= m) break;
            }
            exit = ffmpeg.WaitForExit(out stderr);
        }

        if (exit != 0 || stderr.Length > 0)
        {
            var problem = $"{path}: decoding failed after {decoded} sampled frame(s), file may be truncated or corrupt " +
                $"(ffmpeg exit code {exit}: {FFmpegProcess.Tail(stderr)})";
            if (acc.Count == 0 || !options.AllowDecodeErrors)
                throw new InvalidVideoException(problem);
            warnings.Add(problem);
        }
        var frames = acc.Build();
        if (frames is null)
        {
            var where = options.Start > 0
                ? $" at start {options.Start.ToString(CultureInfo.InvariantCulture)} s" +
                  (info.Duration is { } d ? $" (duration {d.ToString("0.###", CultureInfo.InvariantCulture)} s)" : "")
                : "";
            throw new InvalidVideoException($"{path}: no frames could be decoded{where}");
        }
        var source = new VideoSource(path, info.Width, info.Height, fps, info.FrameCount, options.Start);
        return new VideoClip(frames, fps / interval, source, warnings);
    }
}
