using System.Runtime.InteropServices;

namespace Tessera.Cli;

/// <summary>
/// Hands memory glibc keeps after a streamed chunk back to the system (<c>malloc_trim(0)</c>), so the next chunk's
/// activations are allocated afresh instead of on top of the freed blocks the allocator still holds: the gap between a
/// long stream's peak and a 17-frame clip's (docs/streaming.md). The command, which owns the process, calls it; the
/// library never does. Linux with glibc only; elsewhere (and with <c>TESSERA_MALLOC_TRIM=0</c>) it does nothing.
/// </summary>
internal static class FreedMemory
{
    private static readonly bool Enabled = OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("TESSERA_MALLOC_TRIM") != "0";
    private static bool _unavailable;

    public static void Release()
    {
        if (!Enabled || _unavailable) return;
        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true; // not glibc (musl has no malloc_trim)
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
