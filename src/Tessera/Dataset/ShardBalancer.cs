namespace Tessera.Dataset;

/// <summary>Splits clips into shards of nearly equal total frames, deterministically.</summary>
internal static class ShardBalancer
{
    /// <summary>
    /// Longest clip first, each to the shard with the fewest frames so far (ties: the lower shard, then the earlier clip),
    /// which keeps the largest shard within one clip of the mean.
    /// </summary>
    public static (int[] Shard, long[] Frames) Assign(IReadOnlyList<long> frames, int shards)
    {
        var shardOf = new int[frames.Count];
        var load = new long[shards];
        foreach (var i in Enumerable.Range(0, frames.Count).OrderByDescending(i => frames[i]).ThenBy(i => i))
        {
            var best = 0;
            for (var s = 1; s < shards; s++)
                if (load[s] < load[best]) best = s;
            shardOf[i] = best;
            load[best] += frames[i];
        }
        return (shardOf, load);
    }
}
