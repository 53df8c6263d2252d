using System.Buffers.Binary;
using System.IO.Compression;

namespace Tessera.Evaluation;

/// <summary>A minimal PNG encoder (8-bit RGB, no filtering, zlib) for the report's embedded frames.</summary>
internal static class Png
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>PNG bytes for <paramref name="rgb"/>: uint8 [height, width, 3] row-major.</summary>
    public static byte[] Encode(byte[] rgb, int height, int width)
    {
        if (height <= 0 || width <= 0 || rgb.Length != height * width * 3)
            throw new ArgumentException($"expected {height}x{width}x3 bytes, got {rgb.Length}", nameof(rgb));
        using var output = new MemoryStream();
        output.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;  // bit depth
        header[9] = 2;  // colour type RGB
        Chunk(output, "IHDR", header);
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (var y = 0; y < height; y++)
                {
                    z.WriteByte(0);  // filter: none
                    z.Write(rgb, y * width * 3, width * 3);
                }
            }
            Chunk(output, "IDAT", raw.ToArray());
        }
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> buf = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buf, data.Length);
        s.Write(buf);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        var crc = 0xFFFFFFFFu;
        foreach (var b in typeBytes) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        BinaryPrimitives.WriteUInt32BigEndian(buf, crc ^ 0xFFFFFFFFu);
        s.Write(buf);
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}

/// <summary>Error heat maps for the report.</summary>
internal static class ErrorHeatmap
{
    /// <summary>Absolute error at which the heat map saturates (white), in 8-bit levels.</summary>
    public const int Saturation = 64;

    /// <summary>
    /// RGB heat map of |original − reconstruction| averaged over the three channels: black (0) → red → yellow →
    /// white (≥ <see cref="Saturation"/>/255).
    /// </summary>
    public static byte[] Render(byte[] original, byte[] reconstruction)
    {
        if (original.Length != reconstruction.Length || original.Length % 3 != 0) throw new ArgumentException("frames differ in size");
        var result = new byte[original.Length];
        for (var i = 0; i < original.Length; i += 3)
        {
            var e = (Math.Abs(original[i] - reconstruction[i]) + Math.Abs(original[i + 1] - reconstruction[i + 1]) +
                     Math.Abs(original[i + 2] - reconstruction[i + 2])) / 3.0;
            var v = Math.Min(1.0, e / Saturation) * 3;   // 0..3: red, then green, then blue ramps
            result[i] = (byte)(255 * Math.Clamp(v, 0, 1));
            result[i + 1] = (byte)(255 * Math.Clamp(v - 1, 0, 1));
            result[i + 2] = (byte)(255 * Math.Clamp(v - 2, 0, 1));
        }
        return result;
    }
}
