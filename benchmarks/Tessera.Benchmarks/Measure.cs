using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Tessera.Benchmarks;

/// <summary>Burn-in then measured iterations; process-wide facts the reports print.</summary>
public static class Measure
{
    /// <summary>Seconds per call: <paramref name="warmup"/> unmeasured calls, then the median of <paramref name="iters"/> measured ones.</summary>
    public static double Seconds(Action action, int warmup, int iters) => Timings(action, warmup, iters).Median;

    /// <summary>Median and best of the measured calls; the best is the steadier figure on a shared, busy machine.</summary>
    public static (double Median, double Best) Timings(Action action, int warmup, int iters)
    {
        for (var i = 0; i < warmup; i++) action();
        var times = new double[Math.Max(1, iters)];
        for (var i = 0; i < times.Length; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times[i] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return (times[times.Length / 2], times[0]);
    }

    /// <summary>Peak resident set of this process (VmHWM), in MiB; NaN where /proc is unavailable.</summary>
    public static double PeakRssMiB() => StatusKiB("VmHWM") / 1024.0;

    public static double RssMiB() => StatusKiB("VmRSS") / 1024.0;

    private static double StatusKiB(string field)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return double.NaN;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    public static void PrintHeader(string benchmark, int threads)
    {
        if (threads > 0) set_num_threads(threads);
        Console.WriteLine($"benchmark  {benchmark}");
        Console.WriteLine($"machine    {Environment.ProcessorCount} logical cores, torch threads {get_num_threads()}, TorchSharp {typeof(Tensor).Assembly.GetName().Version}, .NET {Environment.Version}");
    }

    public static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
