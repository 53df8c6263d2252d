using Tessera.Nn;

namespace Tessera.Inference;

/// <summary>Turns a pass's <see cref="CausalCache.OnStep"/> calls into <see cref="ChunkProgress"/> reports over all chunks.</summary>
internal sealed class StepProgress(IProgress<ChunkProgress>? progress, string stage, int stepsPerChunk, int chunks)
{
    private int done;

    /// <summary>Makes <paramref name="cache"/> report the steps of chunk <paramref name="chunk"/> (0-based).</summary>
    public void Attach(CausalCache cache, int chunk)
    {
        if (progress is null) return;
        var total = stepsPerChunk * chunks;
        cache.OnStep = () =>
        {
            // A model with more blocks than it announced must not report past the total.
            done = Math.Min(done + 1, total);
            progress.Report(new ChunkProgress(stage, done, total, chunk + 1, chunks));
        };
    }
}
