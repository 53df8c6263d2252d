using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Checkpoints;

/// <summary>
/// TorchSharp's native <c>Module.save()</c> format: LEB128 entry count, then per entry a LEB128 name length,
/// the UTF-8 name, LEB128 ScalarType code, LEB128 rank, LEB128 dims and the raw little-endian data.
/// </summary>
internal static class TorchSharpDat
{
    private const int MaxNameBytes = 1 << 16;
    private const int MaxRank = 64;

    public static StateDict Load(string path) =>
        CheckpointErrors.Guard(path, "TorchSharp .dat file", () =>
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            long length = fs.Length;
            var dict = new StateDict();
            try
            {
                long count = ReadLeb(fs, path);
                // Every entry needs at least 4 bytes, so a larger count cannot be honest.
                if (count > length / 4 + 1) throw CheckpointErrors.Format(path, $"declares {count} entries, more than a {length}-byte file can hold");
                for (long i = 0; i < count; i++)
                {
                    long nameLen = ReadLeb(fs, path);
                    if (nameLen > MaxNameBytes || nameLen > length - fs.Position)
                        throw CheckpointErrors.Format(path, $"entry {i}: name length {nameLen} is implausible");
                    var nb = new byte[nameLen];
                    fs.ReadExactly(nb);
                    var name = new UTF8Encoding(false, true).GetString(nb);
                    long code = ReadLeb(fs, path);
                    if (!CheckpointDTypes.TryFromTorchSharpCode(code, out var dtype))
                        throw CheckpointErrors.Format(path, $"tensor '{name}': unknown dtype code {code}");
                    long rank = ReadLeb(fs, path);
                    if (rank > MaxRank) throw CheckpointErrors.Format(path, $"tensor '{name}': rank {rank} is implausible");
                    var shape = new long[rank];
                    for (int d = 0; d < rank; d++) shape[d] = ReadLeb(fs, path);
                    long bytes;
                    try { bytes = CheckpointDTypes.ByteSize(shape, dtype); }
                    catch (OverflowException) { throw CheckpointErrors.Format(path, $"tensor '{name}': shape [{string.Join(", ", shape)}] is too large"); }
                    if (bytes > length - fs.Position)
                        throw CheckpointErrors.Format(path, $"tensor '{name}': {bytes} data bytes run past the end of the {length}-byte file");
                    if (dict.ContainsKey(name)) throw CheckpointErrors.Format(path, $"duplicate tensor '{name}'");
                    dict.Add(name, TensorBytes.Create(shape, dtype, span => fs.ReadExactly(span)));
                }
                if (fs.Position != length)
                    throw CheckpointErrors.Format(path, $"{length - fs.Position} unexpected trailing bytes after {count} tensors");
                return dict;
            }
            catch
            {
                dict.Dispose();
                throw;
            }
        });

    private static long ReadLeb(Stream s, string path)
    {
        ulong result = 0;
        for (int shift = 0; shift < 63; shift += 7)
        {
            int b = s.ReadByte();
            if (b < 0) throw CheckpointErrors.Format(path, "unexpected end of file in a LEB128 number");
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                if (result > long.MaxValue) break;
                return (long)result;
            }
        }
        throw CheckpointErrors.Format(path, "LEB128 number too large");
    }
}
