using Tessera.Video;

namespace Tessera.Training.Data;

/// <summary>
/// The usable videos of a data set with their frame counts and rates, probed once. Files that cannot be
/// probed are left out and reported in <see cref="Skipped"/> rather than stopping the run.
/// </summary>
public sealed class VideoDataset
{
    private VideoDataset(IReadOnlyList<VideoSource> videos, IReadOnlyList<(string Path, string Reason)> skipped)
    {
        Videos = videos;
        Skipped = skipped;
    }

    /// <summary>The usable videos, probed (size, rate, frame count).</summary>
    public IReadOnlyList<VideoSource> Videos { get; }
    /// <summary>Videos left out, with the reason.</summary>
    public IReadOnlyList<(string Path, string Reason)> Skipped { get; }

    /// <summary>Probes every video of <paramref name="source"/>: a video file, a folder of videos, or a list file (one path per line, or a split file when <paramref name="split"/> is given).</summary>
    /// <param name="source">A video, a folder or a list file.</param>
    /// <param name="split">The split to take from a list that has splits; null for all.</param>
    /// <exception cref="InvalidVideoException">No video of the source can be probed.</exception>
    public static VideoDataset Load(string source, string? split = null)
    {
        var videos = new List<VideoSource>();
        var skipped = new List<(string, string)>();
        foreach (var (path, _) in VideoList.Load(source, split))
        {
            try
            {
                var info = VideoReader.Probe(path);
                if (info.FrameCount is not > 0 || info.Fps <= 0) { skipped.Add((path, "unknown frame count or frame rate")); continue; }
                videos.Add(info);
            }
            catch (InvalidVideoException e)
            {
                skipped.Add((path, e.Message));
            }
        }
        if (videos.Count == 0)
            throw new InvalidVideoException($"data '{source}': no readable video ({skipped.Count} skipped: {string.Join("; ", skipped.Take(3).Select(s => s.Item2))})");
        return new VideoDataset(videos, skipped);
    }

    internal ClipSampler Sampler(ClipSpec spec, int seed) =>
        new(Videos.Select(v => v.FrameCount!.Value).ToArray(), Videos.Select(v => v.Fps).ToArray(), spec, seed);
}
