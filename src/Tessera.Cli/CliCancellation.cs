using System.Runtime.InteropServices;
using Tessera.Inference;

namespace Tessera.Cli;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM for a tessera process: the running command stops at its next check (between chunks,
/// clips, videos and before writing), exits 130 or 143 and writes no output. A command that does not reach a check
/// within <see cref="Grace"/> is ended with the same exit code; outputs are atomic, so nothing half-written is left.
/// </summary>
internal sealed class CliCancellation : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private static readonly AsyncLocal<CliCancellation?> CurrentRun = new();

    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    public CancellationToken Token => _source.Token;

    /// <summary>130 after SIGINT, 143 after SIGTERM, 130 when cancelled otherwise.</summary>
    public int ExitCode { get; private set; } = 130;

    /// <summary>The cancellation of the command running on this logical call path, if any.</summary>
    internal static CliCancellation? Current
    {
        get => CurrentRun.Value;
        set => CurrentRun.Value = value;
    }

    /// <summary>Listens for SIGINT and SIGTERM; <paramref name="forceExit"/> ends commands that do not stop within the grace time.</summary>
    public static CliCancellation ForProcess(bool forceExit, TextWriter stderr)
    {
        var c = new CliCancellation();
        foreach (var (signal, code) in new[] { (PosixSignal.SIGINT, 130), (PosixSignal.SIGTERM, 143) })
        {
            c._registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                if (c._source.IsCancellationRequested) return;
                c.ExitCode = code;
                c._source.Cancel();
                if (!forceExit) return;
                _ = Task.Delay(Grace).ContinueWith(_ =>
                {
                    stderr.WriteLine("error: interrupted; nothing was written");
                    stderr.Flush();
                    HardExit(code);
                }, TaskScheduler.Default);
            }));
        }
        return c;
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void PosixExit(int code);

    /// <summary>
    /// Ends the process at once: the main thread may be inside libtorch, and a managed shutdown (Environment.Exit) under
    /// it crashes. Outputs are renamed into place only when complete, so none is left half-written.
    /// </summary>
    private static void HardExit(int code)
    {
        PeakMemoryReport.Write();
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            try { PosixExit(code); }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { }
        }
        Environment.Exit(code);
    }

    /// <summary>Cancels as if a signal with exit code <paramref name="code"/> had arrived (tests).</summary>
    public void Cancel(int code = 130)
    {
        ExitCode = code;
        _source.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _source.Dispose();
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> once the running command has been cancelled.</summary>
    public static void ThrowIfCancelled() => Current?.Token.ThrowIfCancellationRequested();

    /// <summary>Progress that checks for cancellation at every report (after each chunk), then forwards it.</summary>
    public static IProgress<ChunkProgress> Checking(IProgress<ChunkProgress>? inner) => new CheckingProgress(inner);

    private sealed class CheckingProgress(IProgress<ChunkProgress>? inner) : IProgress<ChunkProgress>
    {
        public void Report(ChunkProgress value)
        {
            ThrowIfCancelled();
            inner?.Report(value);
        }
    }
}
