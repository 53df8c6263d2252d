using Tessera.Inference;

namespace Tessera.Cli;

/// <summary>
/// One line that redraws itself on a terminal: stage, chunk, percentage, step rate, elapsed time and time left. Redraws at
/// most every 0.2 s (a step of a small model takes milliseconds) and always at the end of a stage.
/// </summary>
internal sealed class ChunkProgressLine(TextWriter writer) : IProgress<ChunkProgress>
{
    private readonly System.Diagnostics.Stopwatch watch = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan? lastDraw;
    private string? stage;

    public void Report(ChunkProgress p)
    {
        if (p.Stage != stage)
        {
            stage = p.Stage;
            watch.Restart();
            lastDraw = null;
        }
        var finished = p.Done >= p.Total;
        if (!finished && lastDraw is { } last && watch.Elapsed - last < TimeSpan.FromSeconds(0.2)) return;
        lastDraw = watch.Elapsed;
        writer.Write($"\r{Describe(p, watch.Elapsed.TotalSeconds)}   ");
        if (finished) writer.WriteLine();
    }

    internal static string Describe(ChunkProgress p, double elapsed)
    {
        var chunk = p.Chunks > 1 ? $" chunk {p.Chunk}/{p.Chunks}," : "";
        var percent = p.Total > 0 ? 100.0 * p.Done / p.Total : 100;
        var rate = elapsed > 0 ? p.Done / elapsed : 0;
        var left = p.Done > 0 ? $", ~{elapsed / p.Done * (p.Total - p.Done):0}s left" : "";
        return $"{p.Stage}{chunk} {percent:0}% (step {p.Done}/{p.Total}, {rate:0.0} steps/s), {elapsed:0}s elapsed{left}";
    }
}
