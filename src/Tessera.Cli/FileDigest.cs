using System.Security.Cryptography;

namespace Tessera.Cli;

/// <summary>SHA-256 of a file, lowercase hex: how token files identify their input and model without local paths.</summary>
internal static class FileDigest
{
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The first 12 hex digits, enough to tell two files apart in a message.</summary>
    public static string Short(string sha256) => sha256.Length > 12 ? sha256[..12] : sha256;
}
