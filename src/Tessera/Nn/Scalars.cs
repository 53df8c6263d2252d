using TorchSharp;

namespace Tessera.Nn;

/// <summary>
/// TorchSharp scalars that stay alive while libtorch reads them. A number passed where TorchSharp takes a
/// <see cref="Scalar"/> becomes a temporary wrapper that is unreachable once its handle is read, so a collection started
/// by another thread (FFmpeg's output readers, a prefetching loader) during the native call lets the finalizer thread
/// free the native scalar mid-call: training runs stopped with "Unknown scalar type." after hours, and a stress test
/// fails within seconds. TorchSharp makes such temporaries itself too: <c>a + b</c>, <c>add(b)</c> and <c>addcdiv</c>
/// without a value pass a temporary 1. The compiler rejects both in Tessera's sources (TSR0001 and TSR0002,
/// build/Tessera.Analyzers). Not covered: TorchSharp's operators and methods that take a .NET number directly
/// (<c>x * 2.0</c>, <c>x / n</c>) make their scalar inside TorchSharp, out of the analyzer's sight; what keeps those safe
/// is that Tessera's programs run without background GC and do their tensor work on the thread that allocates.
/// Pass <see cref="Of(double)"/> for a constant or a configuration value; for a value that changes from call to call
/// (a learning rate, a bias correction) own the scalar where it is used: <c>using var s = value.ToScalar();</c>.
/// </summary>
internal static class Scalars
{
    private static readonly Dictionary<(char Kind, long Bits), Scalar> Kept = [];

    /// <summary>The integer 1: the alpha of <c>add</c> and the value of <c>addcdiv</c>, which TorchSharp otherwise makes a temporary of.</summary>
    public static Scalar One => Of(1L);

    /// <summary>A floating-point scalar that lives for the process (one per distinct value).</summary>
    public static Scalar Of(double value) => Keep(('d', BitConverter.DoubleToInt64Bits(value)), () => value.ToScalar());

    /// <summary>An integer scalar that lives for the process (integer tensors stay integer).</summary>
    public static Scalar Of(long value) => Keep(('l', value), () => value.ToScalar());

    private static Scalar Keep((char Kind, long Bits) key, Func<Scalar> create)
    {
        lock (Kept)
        {
            if (!Kept.TryGetValue(key, out var scalar)) Kept[key] = scalar = create();
            return scalar;
        }
    }
}
