using static TorchSharp.torch;

namespace Tessera.Training.Data;

/// <summary>
/// Delivers training batches [B, 3, T, S, S] in a fixed order (clip index = position), decoded on the caller's thread
/// (prefetch 0) or ahead on background threads. A clip whose video fails to decode is replaced deterministically by
/// another clip and the video is reported once.
/// </summary>
internal sealed class ClipLoader : IDisposable
{
    private const int MaxAttempts = 8;
    private readonly VideoDataset dataset;
    private readonly ClipSampler sampler;
    private readonly ClipDecoder decoder;
    private readonly int batchSize;
    private readonly int prefetch;
    private readonly Dictionary<long, Task<Tensor>> pending = new();
    private readonly HashSet<int> reported = new();
    private readonly Action<string>? report;
    private long nextBatch;

    /// <param name="startBatch">Batches already consumed (a resumed run continues from here).</param>
    /// <param name="dataset">The videos clips are drawn from.</param>
    /// <param name="spec">What one clip is.</param>
    /// <param name="seed">Seed of the clip sampler; one seed gives one sequence of batches.</param>
    /// <param name="batchSize">Clips per batch.</param>
    /// <param name="prefetch">Batches decoded ahead on background threads; 0 decodes each batch when it is asked for.</param>
    /// <param name="report">Receives one line per video that cannot be read (once per video); null for none.</param>
    public ClipLoader(VideoDataset dataset, ClipSpec spec, int seed, int batchSize, long startBatch = 0, int prefetch = 0, Action<string>? report = null)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize));
        this.dataset = dataset;
        sampler = dataset.Sampler(spec, seed);
        decoder = new ClipDecoder(dataset, spec);
        this.batchSize = batchSize;
        if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch));
        this.prefetch = prefetch;
        this.report = report;
        nextBatch = startBatch;
        for (var i = 0; i < this.prefetch; i++) Schedule(startBatch + i);
    }

    /// <summary>Batches consumed so far: the data position stored in checkpoints.</summary>
    public long Position => nextBatch;

    public Tensor Next()
    {
        var index = nextBatch++;
        if (prefetch == 0) return Decode(index);
        if (!pending.Remove(index, out var task)) task = Start(index);
        Schedule(index + prefetch);
        return task.GetAwaiter().GetResult();
    }

    private void Schedule(long batch)
    {
        if (!pending.ContainsKey(batch)) pending[batch] = Start(batch);
    }

    // A pool thread has no dispose scope: without this one, a collection could finalize a temporary of the decode while
    // native code still uses it.
    private Task<Tensor> Start(long batch) => Task.Run(() => Decode(batch));

    private Tensor Decode(long batch)
    {
        using var scope = NewDisposeScope();
        var clips = new Tensor[batchSize];
        for (var b = 0; b < batchSize; b++) clips[b] = DecodeClip(batch * batchSize + b);
        return stack(clips, 0).DetachFromDisposeScope();
    }

    private Tensor DecodeClip(long index)
    {
        for (var attempt = 0; ; attempt++)
        {
            var request = sampler.Sample(index, attempt);
            try
            {
                return decoder.Decode(request);
            }
            catch (InvalidVideoException e) when (attempt < MaxAttempts)
            {
                lock (reported)
                    if (reported.Add(request.Video)) report?.Invoke($"skipping clips of {dataset.Videos[request.Video].Path}: {e.Message}");
            }
        }
    }

    public void Dispose()
    {
        foreach (var t in pending.Values)
        {
            try { t.GetAwaiter().GetResult().Dispose(); } catch (Exception) { /* the batch is discarded anyway */ }
        }
        pending.Clear();
    }
}
