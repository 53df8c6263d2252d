using System.Text;

namespace Tessera.Dataset;

/// <summary>One regular file of a tar: its name, where its data starts in the archive, and its size.</summary>
internal sealed record TarMember(string Name, long DataOffset, long Size);

/// <summary>
/// POSIX ustar archives with fixed owner, mode and time, so the same members always give the same bytes (what a resumed
/// shard needs to match an uninterrupted one). Regular files only, names up to 100 bytes, as WebDataset writes them.
/// </summary>
internal static class UstarArchive
{
    private const int Block = 512;

    /// <summary>Writes <paramref name="members"/> in order and the two zero blocks that end an archive.</summary>
    public static void Write(Stream stream, IEnumerable<(string Name, byte[] Data)> members)
    {
        var header = new byte[Block];
        foreach (var (name, data) in members)
        {
            Array.Clear(header);
            var nameBytes = Encoding.UTF8.GetBytes(name);
            if (nameBytes.Length is 0 or > 100) throw new ArgumentException($"tar member name must be 1 to 100 bytes, got '{name}'", nameof(members));
            nameBytes.CopyTo(header, 0);
            Octal(header, 100, 8, 0b110_100_100);
            Octal(header, 108, 8, 0);
            Octal(header, 116, 8, 0);
            Octal(header, 124, 12, data.Length);
            Octal(header, 136, 12, 0);
            header.AsSpan(148, 8).Fill((byte)' ');
            header[156] = (byte)'0';
            Encoding.ASCII.GetBytes("ustar\0").CopyTo(header, 257);
            Encoding.ASCII.GetBytes("00").CopyTo(header, 263);
            Octal(header, 329, 8, 0);
            Octal(header, 337, 8, 0);
            var sum = header.Sum(b => (long)b);
            Octal(header, 148, 7, sum);
            header[155] = (byte)' ';
            stream.Write(header);
            stream.Write(data);
            var pad = (Block - data.Length % Block) % Block;
            if (pad > 0) stream.Write(new byte[pad]);
        }
        stream.Write(new byte[2 * Block]);
    }

    /// <summary>
    /// The members of an archive written by <see cref="Write"/> (or any ustar of regular files), checking every header's
    /// checksum and that the data lies inside the file.
    /// </summary>
    public static IReadOnlyList<TarMember> List(string path)
    {
        var members = new List<TarMember>();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var header = new byte[Block];
        long offset = 0;
        while (true)
        {
            stream.Position = offset;
            if (stream.ReadAtLeast(header, Block, throwOnEndOfStream: false) < Block)
                throw new InvalidDataException($"tar '{path}': truncated at byte {offset} (no end-of-archive blocks)");
            if (header.All(b => b == 0)) return members;
            var stored = ParseOctal(header, 148, 8, path, offset);
            var sum = header.Select((b, i) => i is >= 148 and < 156 ? (long)' ' : b).Sum();
            if (stored != sum) throw new InvalidDataException($"tar '{path}': header checksum mismatch at byte {offset}");
            var size = ParseOctal(header, 124, 12, path, offset);
            var nameEnd = Array.IndexOf(header, (byte)0, 0, 100);
            var name = Encoding.UTF8.GetString(header, 0, nameEnd < 0 ? 100 : nameEnd);
            if (header[156] is not ((byte)'0' or 0)) throw new InvalidDataException($"tar '{path}': member '{name}' is not a regular file");
            if (offset + Block + size > stream.Length) throw new InvalidDataException($"tar '{path}': member '{name}' runs past the end of the file");
            members.Add(new TarMember(name, offset + Block, size));
            offset += Block + (size + Block - 1) / Block * Block;
        }
    }

    /// <summary>The bytes of one member.</summary>
    public static byte[] Read(string path, TarMember member)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        stream.Position = member.DataOffset;
        var data = new byte[member.Size];
        stream.ReadExactly(data);
        return data;
    }

    private static void Octal(byte[] header, int at, int width, long value)
    {
        var text = Convert.ToString(value, 8).PadLeft(width - 1, '0');
        if (text.Length > width - 1) throw new ArgumentException($"value {value} does not fit a {width}-byte tar field");
        Encoding.ASCII.GetBytes(text).CopyTo(header, at);
        header[at + width - 1] = 0;
    }

    private static long ParseOctal(byte[] header, int at, int width, string path, long offset)
    {
        long value = 0;
        var digits = 0;
        for (var i = at; i < at + width; i++)
        {
            var b = header[i];
            if (b is 0 or (byte)' ') { if (digits > 0) break; continue; }
            if (b is < (byte)'0' or > (byte)'7') throw new InvalidDataException($"tar '{path}': malformed header field at byte {offset + i - at}");
            value = value * 8 + (b - '0');
            digits++;
        }
        return value;
    }
}
