using System.Runtime.InteropServices;

namespace Tessera;

/// <summary>
/// The CPU this process runs on, as far as it matters to libtorch's kernel choice: the model name and the
/// vector/bfloat16 instruction sets (Linux: /proc/cpuinfo; elsewhere only what .NET reports).
/// </summary>
internal static class CpuInfo
{
    /// <summary>Flags that change which kernels libtorch and oneDNN pick.</summary>
    public static readonly IReadOnlyList<string> RelevantFlags =
    [
        "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16",
        "avx512_vp2intersect", "avx_vnni", "avx_ne_convert", "amx_tile", "amx_bf16",
    ];

    private static readonly Lazy<(string Model, HashSet<string>? Flags)> _info = new(Read);

    /// <summary>The CPU's model name ("AMD EPYC 9R45", …), or the architecture when it cannot be read.</summary>
    public static string Model => _info.Value.Model;

    /// <summary>The CPU's feature flags, or null when they cannot be read (not Linux).</summary>
    public static IReadOnlySet<string>? Flags => _info.Value.Flags;

    /// <summary>
    /// Whether the CPU has bfloat16 arithmetic instructions (AVX512-BF16, AMX-BF16 or AVX-NE-CONVERT), on which
    /// libtorch runs bfloat16 convolutions and matrix products with oneDNN's native kernels instead of converting
    /// to float32; null when unknown.
    /// </summary>
    public static bool? HasNativeBf16 => Flags is { } f ? f.Contains("avx512_bf16") || f.Contains("amx_bf16") || f.Contains("avx_ne_convert") : null;

    /// <summary>One line: model, core count and the relevant flags present.</summary>
    public static string Describe()
    {
        var flags = Flags is { } f ? string.Join(" ", RelevantFlags.Where(f.Contains)) : "flags unknown";
        return $"{Model}, {Environment.ProcessorCount} logical CPUs, {(flags.Length == 0 ? "no AVX2/AVX512" : flags)}";
    }

    private static (string, HashSet<string>?) Read()
    {
        var fallback = RuntimeInformation.ProcessArchitecture.ToString();
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return (fallback, null);
            string? model = null;
            HashSet<string>? flags = null;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                var colon = line.IndexOf(':');
                if (colon < 0) continue;
                var key = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                if (model is null && key == "model name") model = value;
                else if (flags is null && key == "flags") flags = new HashSet<string>(value.Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
                if (model is not null && flags is not null) break;
            }
            return (model ?? fallback, flags);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (fallback, null);
        }
    }
}
