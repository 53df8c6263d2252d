namespace Tessera.Cli;

/// <summary>
/// When <c>TESSERA_PEAK_MEMORY_FILE</c> names a file, the process writes its peak resident memory (VmHWM, bytes) there as
/// it exits, however it exits: the measurement hook of the hostile-input sweep and of benchmarks that run the binary.
/// VmHWM is read by the process itself because a parent polling /proc can miss a peak just before exit.
/// </summary>
internal static class PeakMemoryReport
{
    public const string Variable = "TESSERA_PEAK_MEMORY_FILE";
    private static string? _path;
    private static int _written;

    public static void Enable()
    {
        _path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(_path)) return;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Write();
    }

    /// <summary>Writes the report once (also called before a hard exit, which skips ProcessExit).</summary>
    public static void Write()
    {
        if (_path is null || Interlocked.Exchange(ref _written, 1) == 1) return;
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is null) return;
            var kib = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            File.WriteAllText(_path, (kib * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
