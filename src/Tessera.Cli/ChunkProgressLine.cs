using Tessera.Inference;

namespace Tessera.Cli;

/// <summary>A one-line chunk counter with elapsed time and ETA on an interactive stderr.</summary>
internal sealed class ChunkProgressLine(TextWriter writer) : IProgress<ChunkProgress>
{
    private readonly System.Diagnostics.Stopwatch watch = System.Diagnostics.Stopwatch.StartNew();
    private string? stage;

    public static IProgress<ChunkProgress>? ForConsole() => Console.IsErrorRedirected ? null : new ChunkProgressLine(Console.Error);

    public void Report(ChunkProgress p)
    {
        if (p.Stage != stage)
        {
            stage = p.Stage;
            watch.Restart();
        }
        var elapsed = watch.Elapsed.TotalSeconds;
        var eta = p.Done > 0 ? elapsed / p.Done * (p.Total - p.Done) : double.NaN;
        writer.Write($"\r{p.Stage} chunk {p.Done}/{p.Total}  {elapsed:0}s elapsed{(double.IsNaN(eta) ? "" : $", ~{eta:0}s left")}   ");
        if (p.Done == p.Total) writer.WriteLine();
    }
}
