using System.IO.Compression;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Checkpoints;

/// <summary>NumPy <c>.npy</c> / <c>.npz</c> files (little-endian; C order, Fortran order is transposed on load; bool, uint8, int8/16/32/64, float16/32/64).</summary>
internal static class Npy
{
    private const int MaxHeaderBytes = 1 << 20;

    public static Tensor Load(string path) =>
        CheckpointErrors.Guard(path, ".npy file", () =>
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return Read(fs, fs.Length, path);
        });

    /// <summary>Reads every array of an <c>.npz</c> archive in archive order; keys drop the <c>.npy</c> suffix.</summary>
    public static StateDict LoadNpz(string path) =>
        CheckpointErrors.Guard(path, ".npz archive", () =>
        {
            using var zip = ZipFile.OpenRead(path);
            ZipBudget.Check(zip, new FileInfo(path).Length, path);
            var dict = new StateDict();
            try
            {
                foreach (var entry in zip.Entries)
                {
                    if (entry.FullName.EndsWith('/')) continue;
                    var key = entry.FullName.EndsWith(".npy", StringComparison.Ordinal) ? entry.FullName[..^4] : entry.FullName;
                    if (dict.ContainsKey(key)) throw CheckpointErrors.Format(path, $"duplicate array '{key}'");
                    using var s = entry.Open();
                    dict.Add(key, Read(s, entry.Length, $"{path}:{entry.FullName}"));
                }
                return dict;
            }
            catch
            {
                dict.Dispose();
                throw;
            }
        });

    public static void Save(string path, Tensor tensor)
    {
        var descr = tensor.dtype switch
        {
            ScalarType.Float32 => "<f4", ScalarType.Float64 => "<f8", ScalarType.Float16 => "<f2",
            ScalarType.Int64 => "<i8", ScalarType.Int32 => "<i4", ScalarType.Int16 => "<i2",
            ScalarType.Int8 => "|i1", ScalarType.Byte => "|u1", ScalarType.Bool => "|b1",
            _ => throw new NotSupportedException($"dtype {tensor.dtype} cannot be written to .npy"),
        };
        var shape = tensor.shape.Length switch
        {
            0 => "()",
            1 => $"({tensor.shape[0]},)",
            _ => "(" + string.Join(", ", tensor.shape) + ")",
        };
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        var header = dict + new string(' ', pad) + "\n";
        AtomicFile.Write(path, stream =>
        {
            stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
            stream.Write(BitConverter.GetBytes((ushort)header.Length));
            stream.Write(Encoding.ASCII.GetBytes(header));
            using var scope = NewDisposeScope();
            var c = tensor.device_type == DeviceType.CPU ? tensor : tensor.cpu();
            if (!c.is_contiguous()) c = c.contiguous();
            TensorBytes.Read(c, span => stream.Write(span));
        });
    }

    internal static Tensor Read(Stream s, long length, string name)
    {
        Span<byte> pre = stackalloc byte[10];
        if (length < 10) throw CheckpointErrors.Format(name, "too short for a .npy header");
        s.ReadExactly(pre);
        if (!(pre[0] == 0x93 && pre[1..6].SequenceEqual("NUMPY"u8)))
            throw CheckpointErrors.Format(name, "missing .npy magic");
        int major = pre[6];
        long headerLen;
        int prefix;
        if (major == 1) { headerLen = BitConverter.ToUInt16(pre[8..10]); prefix = 10; }
        else if (major is 2 or 3)
        {
            Span<byte> two = stackalloc byte[2];
            s.ReadExactly(two);
            headerLen = BitConverter.ToUInt32([pre[8], pre[9], two[0], two[1]]);
            prefix = 12;
        }
        else throw CheckpointErrors.Format(name, $"unsupported .npy version {major}.{pre[7]}");
        if (headerLen > MaxHeaderBytes || prefix + headerLen > length)
            throw CheckpointErrors.Format(name, $".npy header length {headerLen} runs past the end of the {length}-byte data");
        var hb = new byte[headerLen];
        s.ReadExactly(hb);
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(hb);
        var (descr, fortran, shape) = ParseHeader(header, name);
        var dtype = descr switch
        {
            "<f4" => ScalarType.Float32, "<f8" => ScalarType.Float64, "<f2" => ScalarType.Float16,
            "<i8" => ScalarType.Int64, "<i4" => ScalarType.Int32, "<i2" => ScalarType.Int16,
            "|i1" or "<i1" or "i1" => ScalarType.Int8, "|u1" or "<u1" or "u1" => ScalarType.Byte,
            "|b1" or "<b1" or "b1" => ScalarType.Bool,
            _ when descr.StartsWith('>') => throw CheckpointErrors.Format(name, $"big-endian dtype '{descr}' is not supported"),
            _ => throw CheckpointErrors.Format(name, $"unsupported dtype '{descr}'"),
        };
        long bytes;
        try { bytes = CheckpointDTypes.ByteSize(shape, dtype); }
        catch (OverflowException) { throw CheckpointErrors.Format(name, $"shape ({string.Join(", ", shape)}) is too large"); }
        long available = length - prefix - headerLen;
        if (bytes != available)
            throw CheckpointErrors.Format(name, $"shape ({string.Join(", ", shape)}) of {descr} needs {bytes} data bytes but {available} follow the header");
        if (!fortran || shape.Length < 2) return TensorBytes.Create(shape, dtype, span => s.ReadExactly(span));
        // Fortran order (numpy writes transposed views this way): read the reversed shape, transpose back.
        var reversed = shape.Reverse().ToArray();
        using var raw = TensorBytes.Create(reversed, dtype, span => s.ReadExactly(span));
        using var view = raw.permute(Enumerable.Range(0, shape.Length).Reverse().Select(i => (long)i).ToArray());
        return view.contiguous();
    }

    /// <summary>Parses the Python dict literal <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>.</summary>
    private static (string descr, bool fortran, long[] shape) ParseHeader(string h, string name)
    {
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        var m = System.Text.RegularExpressions.Regex.Match(h, @"['""]descr['""]\s*:\s*['""]([^'""]*)['""]");
        if (m.Success) descr = m.Groups[1].Value;
        m = System.Text.RegularExpressions.Regex.Match(h, @"['""]fortran_order['""]\s*:\s*(True|False)");
        if (m.Success) fortran = m.Groups[1].Value == "True";
        m = System.Text.RegularExpressions.Regex.Match(h, @"['""]shape['""]\s*:\s*\(([^)]*)\)");
        if (m.Success)
        {
            var parts = m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            shape = new long[parts.Length];
            for (int i = 0; i < parts.Length; i++)
                if (!long.TryParse(parts[i].TrimEnd('L'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out shape[i]))
                    throw CheckpointErrors.Format(name, $"bad shape entry '{parts[i]}' in .npy header");
        }
        if (descr is null || fortran is null || shape is null)
            throw CheckpointErrors.Format(name, $"malformed .npy header: {h.Trim()}");
        return (descr, fortran.Value, shape);
    }
}
