namespace Tessera.Training.Data;

/// <summary>
/// Chooses clip <c>i</c> of a training run as a pure function of (seed, i): videos are visited in a
/// fresh permutation each epoch, and the start frame is uniform over the positions where the clip fits
/// (VidTok's sampling: interval round(src_fps / fps), start in [0, total − span − 1]). A run resumed at
/// position i therefore sees exactly the clips an uninterrupted run would.
/// </summary>
internal sealed class ClipSampler(IReadOnlyList<long> frameCounts, IReadOnlyList<double> fps, ClipSpec spec, int seed)
{
    public int VideoCount => frameCounts.Count;

    public ClipRequest Sample(long index, int attempt = 0)
    {
        var n = frameCounts.Count;
        var epoch = index / n;
        var order = Permutation(n, Mix(seed, epoch, -1, 0));
        var video = order[(int)(index % n)];
        var rng = new Random(Mix(seed, index, attempt, 1));
        if (attempt > 0) video = rng.Next(n);
        var interval = Video.FrameSampling.Interval(fps[video], spec.Fps);
        var span = (long)(spec.Frames - 1) * interval + 1;
        var total = frameCounts[video];
        var start = total <= span + 1 ? 0 : (long)(rng.NextDouble() * (total - span - 1));
        var scale = spec.RandomCrop ? 1 + rng.NextDouble() * (spec.MaxScale - 1) : 1;
        var cy = spec.RandomCrop ? rng.NextDouble() : 0.5;
        var cx = spec.RandomCrop ? rng.NextDouble() : 0.5;
        // Drawn last (flip, then hue), so turning either on leaves the earlier draws of the clip as they were.
        var flip = spec.RandomCrop && spec.RandomFlip && rng.NextDouble() < 0.5;
        double? hue = spec.RandomCrop && spec.RandomHue > 0 && rng.NextDouble() < spec.RandomHue ? rng.NextDouble() * 2 * Math.PI : null;
        return new ClipRequest(video, start, scale, cy, cx, flip, hue);
    }

    private static int[] Permutation(int n, int seed)
    {
        var order = Enumerable.Range(0, n).ToArray();
        var rng = new Random(seed);
        for (var i = n - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    // A fixed integer mix (not HashCode, which is randomised per process) so runs are reproducible.
    private static int Mix(int seed, long a, long b, long c)
    {
        ulong h = 1469598103934665603UL;
        foreach (var v in new[] { (ulong)seed, (ulong)a, (ulong)b, (ulong)c })
        {
            h ^= v;
            h *= 1099511628211UL;
            h ^= h >> 29;
        }
        return (int)(h & 0x7fffffff);
    }
}
