using System.Buffers.Binary;
using System.Text.Json;

namespace Tessera.Dataset;

/// <summary>Reads one int32 tensor of a token file held in memory (a tar entry), without libtorch.</summary>
internal static class SampleTensors
{
    public static int[] Int32(byte[] file, string name, string where)
    {
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        using var header = JsonDocument.Parse(file.AsMemory(8, checked((int)headerLength)));
        if (!header.RootElement.TryGetProperty(name, out var entry) || entry.GetProperty("dtype").GetString() != "I32")
            throw new InvalidDataException($"{where}: holds no int32 tensor '{name}'");
        var offsets = entry.GetProperty("data_offsets");
        var begin = checked((int)(8 + headerLength + offsets[0].GetInt64()));
        var end = checked((int)(8 + headerLength + offsets[1].GetInt64()));
        var values = new int[(end - begin) / 4];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(begin + 4 * i, 4));
        return values;
    }
}
