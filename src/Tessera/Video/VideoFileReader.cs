using static TorchSharp.torch;

namespace Tessera.Video;

/// <summary>Reads a whole video file: every piece of a <see cref="VideoFrameStream"/>, joined.</summary>
internal static class VideoFileReader
{
    public static VideoClip Read(string path, ReadOptions options)
    {
        using var stream = VideoFrameStream.Open(path, options);
        var pieces = new List<Tensor>();
        try
        {
            while (stream.Read(options.BatchFrames) is { } piece) pieces.Add(piece);
            var frames = pieces.Count == 1 ? pieces[0] : cat(pieces, 0);
            if (pieces.Count == 1) pieces.Clear(); // the clip owns it now
            return new VideoClip(frames, stream.Fps, stream.Source, [.. stream.Warnings]);
        }
        finally
        {
            foreach (var p in pieces) p.Dispose();
        }
    }
}
