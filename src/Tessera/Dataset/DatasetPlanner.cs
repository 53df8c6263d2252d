using System.Globalization;
using Tessera.Video;

namespace Tessera.Dataset;

/// <summary>Probes a list of videos and cuts them into a <see cref="DatasetPlan"/> of N shards balanced by frames.</summary>
internal static class DatasetPlanner
{
    /// <param name="videos">(full path, display name) as <see cref="VideoList.Load"/> gives them.</param>
    /// <param name="sampling">Frame rate, clip length and stride of the windows cut from each video.</param>
    /// <param name="shards">Shards to balance the windows over (positive).</param>
    /// <param name="probe">Probes one video (the default reads it with ffprobe); a thrown <see cref="TesseraException"/> marks it unreadable.</param>
    /// <param name="progress">Receives the number of videos probed so far after each one, on the calling thread.</param>
    /// <param name="cancellationToken">Checked between videos; a cancelled call throws <see cref="OperationCanceledException"/> (it writes nothing).</param>
    /// <returns>The plan (in memory; save it with <see cref="DatasetPlan.Save"/>).</returns>
    public static DatasetPlan Plan(IReadOnlyList<(string Path, string Name)> videos, DatasetSampling sampling, int shards,
        Func<string, VideoSource>? probe = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        sampling.Validate();
        if (shards <= 0) throw new InvalidInputException($"the number of shards must be positive, got {shards}");
        probe ??= VideoReader.Probe;
        var probed = new List<PlanVideo>();
        var unreadable = new List<PlanFailure>();
        var windows = new List<(int Video, int Start, int Frames)>();
        var seen = 0;
        foreach (var (path, name) in videos)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (seen++ > 0) progress?.Report(seen - 1);
            VideoSource source;
            try
            {
                source = probe(path);
            }
            catch (TesseraException e)
            {
                unreadable.Add(new PlanFailure(name, path, e.Message));
                continue;
            }
            if (source.FrameCount is not { } frames || frames <= 0)
            {
                unreadable.Add(new PlanFailure(name, path, $"{path}: the container states neither a frame count nor a duration"));
                continue;
            }
            var interval = FrameSampling.Interval(source.Fps, sampling.Fps);
            var sampled = (frames + interval - 1) / interval;
            var video = new PlanVideo(probed.Count, name, Path.GetFullPath(path), source.Width, source.Height, source.Fps, frames, interval, sampled);
            probed.Add(video);
            foreach (var (start, count) in sampling.Windows(sampled)) windows.Add((video.Index, start, count));
        }

        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(videos.Count);
        var (assignment, loads) = ShardBalancer.Assign(windows.Select(w => (long)w.Frames).ToArray(), shards);
        var clips = windows.Select((w, i) => new PlanClip(Key(w.Video, w.Start), w.Video, w.Start, w.Frames, assignment[i])).ToArray();
        return new DatasetPlan(DatasetPlan.CurrentFormat, PlanSampling.From(sampling), shards, loads, probed, unreadable, clips);
    }

    /// <summary>A WebDataset key: no dots (the first dot starts the entry's extension), sortable, unique per window.</summary>
    public static string Key(int video, int start) =>
        string.Create(CultureInfo.InvariantCulture, $"v{video:D6}-f{start:D6}");
}
