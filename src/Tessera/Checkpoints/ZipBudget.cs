using System.IO.Compression;

namespace Tessera.Checkpoints;

/// <summary>
/// Bounds what a zip archive (.ckpt, .pt, .npz) can make Tessera allocate, before any entry is decompressed: entries may
/// not claim more compressed bytes together than the file holds (entries sharing one deflate stream), no entry may claim
/// to expand more than deflate can (ratio), and the declared sizes together stay under a total budget.
/// </summary>
internal static class ZipBudget
{
    /// <summary>Deflate cannot expand data by more than about 1032:1; a larger declared ratio is a lie.</summary>
    public const long MaxRatio = 1100;

    /// <summary>Most bytes the entries of one archive may decompress to together.</summary>
    public static long MaxTotalBytes { get; set; } = 16L << 30;

    public static void Check(ZipArchive zip, long fileLength, string path)
    {
        long compressed = 0, total = 0;
        foreach (var e in zip.Entries)
        {
            compressed += e.CompressedLength;
            total += e.Length;
            if (e.Length < 0 || e.CompressedLength < 0)
                throw CheckpointErrors.Format(path, $"zip entry '{e.FullName}' declares a negative size");
            if (e.Length > e.CompressedLength && e.Length / MaxRatio > e.CompressedLength + 1024)
                throw CheckpointErrors.Format(path, $"zip entry '{e.FullName}' claims {e.Length:N0} bytes from {e.CompressedLength:N0} compressed bytes (a zip bomb?)");
            if (compressed > fileLength)
                throw CheckpointErrors.Format(path, $"zip entries claim {compressed:N0} compressed bytes in a {fileLength:N0}-byte file (overlapping entries: a zip bomb?)");
            if (total > MaxTotalBytes)
                throw CheckpointErrors.Format(path, $"zip entries decompress to more than {MaxTotalBytes:N0} bytes together");
        }
    }
}
