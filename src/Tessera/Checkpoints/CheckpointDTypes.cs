using TorchSharp;

namespace Tessera.Checkpoints;

/// <summary>Element sizes and the names different file formats give TorchSharp scalar types.</summary>
internal static class CheckpointDTypes
{
    public static int ElementSize(torch.ScalarType t) => t switch
    {
        torch.ScalarType.Float64 or torch.ScalarType.Int64 or torch.ScalarType.ComplexFloat32 => 8,
        torch.ScalarType.Float32 or torch.ScalarType.Int32 => 4,
        torch.ScalarType.Float16 or torch.ScalarType.BFloat16 or torch.ScalarType.Int16 => 2,
        torch.ScalarType.Int8 or torch.ScalarType.Byte or torch.ScalarType.Bool => 1,
        torch.ScalarType.ComplexFloat64 => 16,
        _ => throw new NotSupportedException($"unsupported dtype {t}"),
    };

    public static bool TryFromSafetensors(string name, out torch.ScalarType t)
    {
        switch (name)
        {
            case "F64": t = torch.ScalarType.Float64; return true;
            case "F32": t = torch.ScalarType.Float32; return true;
            case "F16": t = torch.ScalarType.Float16; return true;
            case "BF16": t = torch.ScalarType.BFloat16; return true;
            case "I64": t = torch.ScalarType.Int64; return true;
            case "I32": t = torch.ScalarType.Int32; return true;
            case "I16": t = torch.ScalarType.Int16; return true;
            case "I8": t = torch.ScalarType.Int8; return true;
            case "U8": t = torch.ScalarType.Byte; return true;
            case "BOOL": t = torch.ScalarType.Bool; return true;
            default: t = default; return false;
        }
    }

    public static string ToSafetensors(torch.ScalarType t) => t switch
    {
        torch.ScalarType.Float64 => "F64",
        torch.ScalarType.Float32 => "F32",
        torch.ScalarType.Float16 => "F16",
        torch.ScalarType.BFloat16 => "BF16",
        torch.ScalarType.Int64 => "I64",
        torch.ScalarType.Int32 => "I32",
        torch.ScalarType.Int16 => "I16",
        torch.ScalarType.Int8 => "I8",
        torch.ScalarType.Byte => "U8",
        torch.ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"dtype {t} cannot be stored in safetensors"),
    };

    /// <summary>Maps a pickled storage class name (<c>FloatStorage</c>, ...) to its element type.</summary>
    public static bool TryFromStorageClass(string name, out torch.ScalarType t)
    {
        switch (name)
        {
            case "FloatStorage": t = torch.ScalarType.Float32; return true;
            case "DoubleStorage": t = torch.ScalarType.Float64; return true;
            case "HalfStorage": t = torch.ScalarType.Float16; return true;
            case "BFloat16Storage": t = torch.ScalarType.BFloat16; return true;
            case "LongStorage": t = torch.ScalarType.Int64; return true;
            case "IntStorage": t = torch.ScalarType.Int32; return true;
            case "ShortStorage": t = torch.ScalarType.Int16; return true;
            case "CharStorage": t = torch.ScalarType.Int8; return true;
            case "ByteStorage": t = torch.ScalarType.Byte; return true;
            case "BoolStorage": t = torch.ScalarType.Bool; return true;
            case "UntypedStorage": t = torch.ScalarType.Byte; return true;
            default: t = default; return false;
        }
    }

    /// <summary>TorchSharp's own ScalarType codes are used by its .dat format; only accept the ones we can size.</summary>
    public static bool TryFromTorchSharpCode(long code, out torch.ScalarType t)
    {
        t = (torch.ScalarType)(sbyte)Math.Clamp(code, -1, 127);
        if (code < 0 || code > 127) return false;
        try { ElementSize(t); return true; } catch (NotSupportedException) { return false; }
    }

    /// <summary>numel × element size with overflow checks; throws <see cref="OverflowException"/> on absurd shapes.</summary>
    public static long ByteSize(ReadOnlySpan<long> shape, torch.ScalarType t)
    {
        long n = ElementSize(t);
        foreach (var d in shape)
        {
            if (d < 0) throw new OverflowException("negative dimension");
            n = checked(n * d);
        }
        return n;
    }
}
