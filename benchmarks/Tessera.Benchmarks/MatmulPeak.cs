using System.Diagnostics;
using static TorchSharp.torch;

namespace Tessera.Benchmarks;

/// <summary>
/// The machine's float32 matrix-product rate as libtorch reaches it with the current thread count: torch.mm of two
/// random n×n matrices (2n³ FLOPs), one warm-up, best of <c>tries</c>. The best is the figure: on a shared machine
/// a slower try measures the neighbours, not the machine.
/// </summary>
public static class MatmulPeak
{
    public static (double GflopsPerSecond, int N) Measure(int n = 2048, int tries = 5)
    {
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var a = rand(n, n);
        var b = rand(n, n);
        a.mm(b).Dispose();
        var best = double.MaxValue;
        for (var i = 0; i < tries; i++)
        {
            var sw = Stopwatch.StartNew();
            using (a.mm(b))
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return (2.0 * n * n * n / best / 1e9, n);
    }
}
