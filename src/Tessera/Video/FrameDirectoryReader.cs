using System.Globalization;

namespace Tessera.Video;

/// <summary>Reads image frames (a directory, or one image) as a clip at <see cref="ReadOptions.SourceFps"/>.</summary>
internal static class FrameDirectoryReader
{
    public static VideoClip Read(string directory, ReadOptions options)
    {
        var files = Directory.EnumerateFiles(directory)
            .Where(f => ImageDecoder.IsImage(f) && !Path.GetFileName(f).StartsWith('.'))
            .OrderBy(Path.GetFileName, NaturalComparer.Instance)
            .ToList();
        if (files.Count == 0)
            throw new InvalidVideoException(
                $"{directory}: frame directory contains no images ({string.Join("/", ImageDecoder.Extensions)})");
        return ReadImages(directory, files, options);
    }

    /// <summary>Reads the frames of <paramref name="files"/> that the options select; only those are decoded.</summary>
    public static VideoClip ReadImages(string source, IReadOnlyList<string> files, ReadOptions options)
    {
        var fps = options.SourceFps;
        var interval = FrameSampling.Interval(fps, options.Fps);
        var first = (int)Math.Min(int.MaxValue, Math.Ceiling(options.Start * fps - 1e-9));
        if (first >= files.Count)
            throw new InvalidVideoException(
                $"{source}: no frames at start {options.Start.ToString(CultureInfo.InvariantCulture)} s " +
                $"({files.Count} frame(s) at {fps.ToString(CultureInfo.InvariantCulture)} fps)");

        FrameAccumulator? acc = null;
        int height = 0, width = 0;
        try
        {
            for (long i = first; i < files.Count; i += interval)
            {
                var file = files[(int)i];
                var (h, w, rgb) = ImageDecoder.Decode(file);
                if (acc is null)
                {
                    (height, width) = (h, w);
                    acc = new FrameAccumulator(h, w, options, file);
                }
                else if (h != height || w != width)
                    throw new InvalidVideoException(
                        $"{file}: frame size {w}x{h} differs from the first frame's {width}x{height} in {source}");
                acc.Add(rgb);
                if (options.FrameCount is { } max && acc.Count >= max) break;
            }
            var frames = acc!.Build()!;
            var src = new VideoSource(source, width, height, fps, files.Count, options.Start);
            return new VideoClip(frames, fps / interval, src);
        }
        finally
        {
            acc?.Dispose();
        }
    }
}

/// <summary>Orders names with digit runs compared by value ("frame_2" before "frame_10"), then ordinally.</summary>
internal sealed class NaturalComparer : IComparer<string?>
{
    public static readonly NaturalComparer Instance = new();

    public int Compare(string? a, string? b)
    {
        if (a is null || b is null) return a is null ? b is null ? 0 : -1 : 1;
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                int si = i, sj = j;
                while (i < a.Length && char.IsAsciiDigit(a[i])) i++;
                while (j < b.Length && char.IsAsciiDigit(b[j])) j++;
                var da = a.AsSpan(si, i - si).TrimStart('0');
                var db = b.AsSpan(sj, j - sj).TrimStart('0');
                if (da.Length != db.Length) return da.Length.CompareTo(db.Length);
                var c = da.SequenceCompareTo(db);
                if (c != 0) return c;
            }
            else
            {
                if (a[i] != b[j]) return a[i].CompareTo(b[j]);
                i++;
                j++;
            }
        }
        var rest = (a.Length - i).CompareTo(b.Length - j);
        return rest != 0 ? rest : string.CompareOrdinal(a, b);
    }
}
