using System.Runtime.InteropServices;

namespace Tessera.Cli;

/// <summary>
/// What a path is on disk, following links: the (device, inode) pair that identifies a file through relative paths,
/// symbolic and hard links, and whether it is a regular file (not a FIFO, device or socket). Uses stat(2) on Linux
/// and macOS; elsewhere it falls back to comparing resolved full paths.
/// </summary>
internal static class FileIdentity
{
    private const uint TypeMask = 0xF000, Regular = 0x8000, Directory = 0x4000;

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);

    private readonly record struct Info(ulong Device, ulong Inode, uint Mode);

    private static Info? Get(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return null;
        var buffer = new byte[512];
        try
        {
            if (Stat(path, buffer) != 0) return null;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
        if (OperatingSystem.IsMacOS())
            return new Info(BitConverter.ToUInt32(buffer, 0), BitConverter.ToUInt64(buffer, 8), BitConverter.ToUInt16(buffer, 4));
        var dev = BitConverter.ToUInt64(buffer, 0);
        var ino = BitConverter.ToUInt64(buffer, 8);
        // x86-64: st_nlink (8 bytes) precedes st_mode; the generic layout (arm64, riscv64) has st_mode first.
        var mode = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? BitConverter.ToUInt32(buffer, 24) : BitConverter.ToUInt32(buffer, 16);
        return new Info(dev, ino, mode);
    }

    /// <summary>Whether <paramref name="path"/> names (through links) a regular file.</summary>
    public static bool IsRegularFile(string path)
    {
        if (!File.Exists(path)) return false;
        if (Get(path) is { } info) return (info.Mode & TypeMask) == Regular;
        var resolved = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        return !resolved.StartsWith("/dev/", StringComparison.Ordinal) && !resolved.StartsWith("/proc/", StringComparison.Ordinal);
    }

    /// <summary>Whether two existing paths are the same file or directory (relative paths, symbolic and hard links included).</summary>
    public static bool Same(string a, string b)
    {
        if (!Path.Exists(a) || !Path.Exists(b)) return false;
        if (Get(a) is { } x && Get(b) is { } y) return x.Device == y.Device && x.Inode == y.Inode;
        return string.Equals(Resolve(a), Resolve(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    private static string Resolve(string path)
    {
        var full = Path.GetFullPath(path.TrimEnd('/', '\\'));
        FileSystemInfo info = System.IO.Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full);
        return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
    }

    /// <summary>Whether a directory mode was read (used by tests to know stat works here).</summary>
    internal static bool IsDirectory(string path) => Get(path) is { } info && (info.Mode & TypeMask) == Directory;
}
