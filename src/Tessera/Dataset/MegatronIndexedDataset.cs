using System.Buffers.Binary;
using System.Text;

namespace Tessera.Dataset;

/// <summary>
/// Megatron-LM's indexed dataset (<c>MMapIndexedDataset</c>): a <c>.bin</c> of token ids, one sequence after another,
/// and an <c>.idx</c> holding the magic <c>MMIDIDX\0\0</c>, version 1 (u64), the dtype code (u8), the sequence count and
/// the document-index count (u64 each), then the sequence lengths (int32), their byte offsets in the <c>.bin</c> (int64)
/// and the document indices (int64: 0, then the sequence count after each document). One clip is one document of one
/// sequence. Everything little-endian.
/// </summary>
internal static class MegatronIndexedDataset
{
    /// <summary>The 9 bytes every <c>.idx</c> starts with.</summary>
    public static ReadOnlySpan<byte> Magic => "MMIDIDX\0\0"u8;

    /// <summary>Megatron's dtype code for uint16, used when every id is below 65500 (Megatron's own rule).</summary>
    public const byte UInt16Code = 8;

    /// <summary>Megatron's dtype code for int32.</summary>
    public const byte Int32Code = 4;

    /// <summary>The dtype code Megatron picks for a vocabulary of this size.</summary>
    public static byte CodeFor(long vocabularySize) => vocabularySize < 65500 ? UInt16Code : Int32Code;

    /// <summary>Writes <paramref name="sequences"/> as <paramref name="bin"/> and <paramref name="idx"/>, each atomically.</summary>
    public static void Write(string bin, string idx, IReadOnlyList<long[]> sequences, byte dtype)
    {
        var width = dtype switch
        {
            UInt16Code => 2,
            Int32Code => 4,
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "only uint16 (8) and int32 (4) token ids are written"),
        };
        long max = dtype == UInt16Code ? ushort.MaxValue : int.MaxValue;
        AtomicFile.Write(bin, s =>
        {
            var buffer = new byte[width];
            foreach (var sequence in sequences)
                foreach (var id in sequence)
                {
                    if (id < 0 || id > max) throw new InvalidDataException($"token id {id} does not fit the Megatron dtype code {dtype}");
                    if (width == 2) BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)id);
                    else BinaryPrimitives.WriteInt32LittleEndian(buffer, (int)id);
                    s.Write(buffer);
                }
        });
        AtomicFile.Write(idx, s =>
        {
            using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            w.Write(1UL);
            w.Write(dtype);
            w.Write((ulong)sequences.Count);
            w.Write((ulong)sequences.Count + 1);
            foreach (var sequence in sequences) w.Write(checked((int)sequence.Length));
            long pointer = 0;
            foreach (var sequence in sequences)
            {
                w.Write(pointer);
                pointer += sequence.Length * width;
            }
            for (long d = 0; d <= sequences.Count; d++) w.Write(d);
        });
    }

    /// <summary>Reads a pair back: the dtype code and every sequence (for checks and tests).</summary>
    public static (byte DType, IReadOnlyList<long[]> Sequences, IReadOnlyList<long> DocumentIndices) Read(string bin, string idx)
    {
        using var r = new BinaryReader(File.OpenRead(idx));
        if (!r.ReadBytes(9).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"'{idx}' is not a Megatron index (no MMIDIDX magic)");
        var version = r.ReadUInt64();
        if (version != 1) throw new InvalidDataException($"'{idx}': index version {version}, expected 1");
        var dtype = r.ReadByte();
        var width = dtype switch { UInt16Code => 2, Int32Code => 4, _ => throw new InvalidDataException($"'{idx}': dtype code {dtype} is not uint16 (8) or int32 (4)") };
        var count = checked((int)r.ReadUInt64());
        var documents = checked((int)r.ReadUInt64());
        var sizes = Enumerable.Range(0, count).Select(_ => r.ReadInt32()).ToArray();
        var pointers = Enumerable.Range(0, count).Select(_ => r.ReadInt64()).ToArray();
        var docIdx = Enumerable.Range(0, documents).Select(_ => r.ReadInt64()).ToArray();
        var data = File.ReadAllBytes(bin);
        var sequences = new long[count][];
        for (var i = 0; i < count; i++)
        {
            sequences[i] = new long[sizes[i]];
            for (var j = 0; j < sizes[i]; j++)
            {
                var at = checked((int)(pointers[i] + (long)j * width));
                sequences[i][j] = width == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at)) : BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at));
            }
        }
        return (dtype, sequences, docIdx);
    }
}
