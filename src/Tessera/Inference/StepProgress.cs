using Tessera.Nn;

namespace Tessera.Inference;

/// <summary>Turns a pass's <see cref="CausalCache.OnStep"/> calls into <see cref="ChunkProgress"/> reports over all chunks.</summary>
internal sealed class StepProgress(IProgress<ChunkProgress>? progress, string stage, int stepsPerChunk, int chunks)
{
    private int done;

    /// <summary>
    /// Makes <paramref name="cache"/> check <paramref name="cancellationToken"/> at every step, then report it through
    /// <paramref name="steps"/> (when there is one) as a step of chunk <paramref name="chunk"/> (0-based). Replaces any earlier hook.
    /// </summary>
    public static void Attach(CausalCache cache, StepProgress? steps, int chunk, CancellationToken cancellationToken)
    {
        cache.OnStep = null;
        steps?.Attach(cache, chunk);
        if (!cancellationToken.CanBeCanceled) return;
        var report = cache.OnStep;
        cache.OnStep = () =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            report?.Invoke();
        };
    }

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
