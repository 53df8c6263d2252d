using Tessera.Inference;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Cli;

/// <summary>
/// A video read for a model that streams: the first frames are read ahead, and a video no longer than one whole-clip
/// pass of the model (<see cref="VideoTokenizer.UsesChunking"/> false) becomes a <see cref="VideoClip"/>, so short
/// clips take the whole-clip path and give the same output as before streaming; a longer one is handed out in pieces
/// as FFmpeg decodes it, never held whole.
/// </summary>
internal sealed class FramePieces : IDisposable
{
    private readonly VideoFrameStream stream;
    private Tensor? ahead;

    private FramePieces(VideoFrameStream stream, Tensor? ahead, VideoClip? clip)
    {
        this.stream = stream;
        this.ahead = ahead;
        WholeClip = clip;
    }

    /// <summary>The whole video when it is short enough for one pass; null when it streams.</summary>
    public VideoClip? WholeClip { get; }

    public VideoFrameStream Stream => stream;

    /// <summary>
    /// Frames the stream will probably give, for progress reports: the container's frame count after the start time and
    /// the frame sampling, capped by --frames; 0 when the container does not say.
    /// </summary>
    public int ExpectedFrames(ReadOptions read) => ExpectedFrames(stream, read);

    /// <summary><see cref="ExpectedFrames(ReadOptions)"/> of any open stream.</summary>
    public static int ExpectedFrames(VideoFrameStream stream, ReadOptions read)
    {
        var source = stream.Source;
        if (source.FrameCount is not { } count || !(source.Fps > 0)) return read.FrameCount ?? 0;
        var left = Math.Max(0, count - source.Start * source.Fps) * stream.Fps / source.Fps;
        return (int)Math.Min(Math.Ceiling(left), read.FrameCount ?? int.MaxValue);
    }

    public static FramePieces Open(string input, ReadOptions read, VideoTokenizer tokenizer)
    {
        var stream = VideoFrameStream.Open(input, read);
        try
        {
            var whole = 1 + tokenizer.Options.TemporalChunk;
            var ahead = ReadAhead(stream, whole + 1);
            if (ahead.shape[0] > whole) return new FramePieces(stream, ahead, null);
            var clip = new VideoClip(ahead, stream.Fps, stream.Source, [.. stream.Warnings]);
            return new FramePieces(stream, null, clip);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The next frames, uint8 [n, H, W, 3] with n ≤ <paramref name="maxFrames"/> (the caller owns them); null at the end.</summary>
    public Tensor? Next(int maxFrames)
    {
        if (ahead is { } first)
        {
            ahead = null;
            return first;
        }
        return WholeClip is null ? stream.Read(maxFrames) : null;
    }

    public void Dispose()
    {
        ahead?.Dispose();
        WholeClip?.Dispose();
        stream.Dispose();
    }

    // The stream ends with an error when FFmpeg gives no frame at all, so the first read is never null.
    private static Tensor ReadAhead(VideoFrameStream stream, int frames)
    {
        var pieces = new List<Tensor>();
        try
        {
            while (pieces.Sum(p => p.shape[0]) < frames && stream.Read(frames - (int)pieces.Sum(p => p.shape[0])) is { } piece)
                pieces.Add(piece);
            var all = pieces.Count == 1 ? pieces[0] : cat(pieces, 0);
            if (pieces.Count == 1) pieces.Clear();
            return all;
        }
        finally
        {
            foreach (var p in pieces) p.Dispose();
        }
    }
}
