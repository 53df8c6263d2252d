using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Checkpoints;

internal delegate void SpanFiller(Span<byte> destination);
internal delegate void SpanReader(ReadOnlySpan<byte> source);

/// <summary>
/// Direct access to the bytes of contiguous CPU tensors, in chunks below 2 GiB so that
/// <see cref="Tensor.bytes"/> (an int-sized span over native memory) works for any size.
/// </summary>
internal static class TensorBytes
{
    private const long ChunkBytes = 1L << 30;

    static TensorBytes()
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Tessera checkpoints require a little-endian host");
    }

    /// <summary>Creates an uninitialised CPU tensor and lets <paramref name="fill"/> write its bytes in order.</summary>
    public static Tensor Create(long[] shape, ScalarType dtype, SpanFiller fill)
    {
        var t = empty(shape, dtype);
        try
        {
            ForEachChunk(t, span => fill(span));
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>Hands the bytes of <paramref name="t"/> (contiguous CPU) to <paramref name="read"/> chunk by chunk.</summary>
    public static void Read(Tensor t, SpanReader read) => ForEachChunk(t, span => read(span));

    private static void ForEachChunk(Tensor t, SpanFiller action)
    {
        long elem = CheckpointDTypes.ElementSize(t.dtype);
        long total = checked(t.numel() * elem);
        if (total == 0) return;
        if (total <= ChunkBytes)
        {
            action(t.bytes);
            return;
        }
        using var flat = t.view(-1);
        long perChunk = ChunkBytes / elem;
        for (long start = 0; start < flat.shape[0]; start += perChunk)
        {
            using var part = flat.narrow(0, start, Math.Min(perChunk, flat.shape[0] - start));
            action(part.bytes);
        }
    }
}
