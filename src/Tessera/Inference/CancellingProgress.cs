namespace Tessera.Inference;

/// <summary>
/// Progress that checks a <see cref="CancellationToken"/> at every report (after each encoder or decoder block), then
/// forwards it: the seam through which a long pass is cancelled between blocks and chunks.
/// </summary>
internal sealed class CancellingProgress(IProgress<ChunkProgress>? inner, CancellationToken cancellationToken) : IProgress<ChunkProgress>
{
    public void Report(ChunkProgress value)
    {
        cancellationToken.ThrowIfCancellationRequested();
        inner?.Report(value);
    }

    /// <summary><paramref name="options"/> whose progress also checks <paramref name="cancellationToken"/>; the same options when it cannot be cancelled.</summary>
    public static TokenizerOptions Apply(TokenizerOptions options, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? options with { Progress = new CancellingProgress(options.Progress, cancellationToken) } : options;
}
