using System.Runtime.InteropServices;

namespace Tessera.Cli;

/// <summary>
/// glibc hands every allocation above its mmap threshold (at most 32 MiB by default) to a fresh mmap and returns it on
/// free, so each large activation tensor of a decode is page-faulted in anew: on the bundled model at 256x256 the kernel
/// time exceeded half the user time. Keeping large blocks in the heap for reuse removes that. The CLI owns its process,
/// so it sets this at start; the library leaves process-wide settings to its host (docs/performance.md). Settings the
/// user gave through the environment win.
/// </summary>
internal static class NativeAllocator
{
    private const int MTrimThreshold = -1, MTopPad = -2, MMmapThreshold = -3;

    public static void KeepLargeBlocks()
    {
        if (!OperatingSystem.IsLinux()) return;
        foreach (var v in new[] { "GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_" })
            if (Environment.GetEnvironmentVariable(v) is not null) return;
        try
        {
            _ = Mallopt(MMmapThreshold, 1 << 30);
            _ = Mallopt(MTrimThreshold, 1 << 30);
            _ = Mallopt(MTopPad, 256 << 20);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { } // not glibc (e.g. musl)
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);
}
