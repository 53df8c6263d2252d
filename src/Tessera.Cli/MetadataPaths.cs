using Tessera.Models;

namespace Tessera.Cli;

/// <summary>
/// The model and weights a token file's metadata names, resolved without letting the file open arbitrary paths: a preset
/// or a bundled model by name; a bare file name with its SHA-256, looked up next to the token file only; or an absolute
/// path to a regular file (older files, --record-paths). Other relative paths (they would resolve against the current
/// directory), FIFOs, devices and other special files are refused; a file whose SHA-256 differs from the recorded one is
/// refused naming both. --model overrides all of it.
/// </summary>
internal static class MetadataPaths
{
    public static string? Resolve(string tokenFile, string key, string? recorded, string? sha256 = null)
    {
        if (string.IsNullOrEmpty(recorded)) return null;
        if (ModelFamilies.IsPreset(recorded) || Checkpoints.Hub.HubFile.IsReference(recorded)) return recorded;
        if (BundledModels.FindRecorded(recorded) is { } bundled)
            return Checked(tokenFile, key, recorded, bundled, sha256);
        if (!Path.IsPathFullyQualified(recorded))
            return NextToTokenFile(tokenFile, key, recorded, sha256);
        if (!File.Exists(recorded))
            throw new TokenFileFormatException($"token file '{tokenFile}' names its {key} '{recorded}', which does not exist here; pass --model (and --weights)");
        if (!FileIdentity.IsRegularFile(recorded))
            throw new TokenFileFormatException($"token file '{tokenFile}' names its {key} '{recorded}', which is not a regular file; pass --model (and --weights)");
        return Checked(tokenFile, key, recorded, recorded, sha256);
    }

    /// <summary>Compares a file the user chose with the digest the token file recorded; null when they agree or nothing was recorded.</summary>
    public static string? Mismatch(string tokenFile, string key, string? recorded, string? sha256, string file)
    {
        if (sha256 is null || !File.Exists(file)) return null;
        var actual = FileDigest.Sha256(file);
        return string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"token file '{tokenFile}' was encoded with {key} '{recorded}' (sha256 {FileDigest.Short(sha256)}…), but '{file}' has sha256 {FileDigest.Short(actual)}…";
    }

    private static string NextToTokenFile(string tokenFile, string key, string recorded, string? sha256)
    {
        // Only a bare name with a digest: the digest, not the path, says which file it is, so no directory is trusted.
        if (sha256 is null || recorded != Path.GetFileName(recorded) || recorded is "." or "..")
            throw new TokenFileFormatException($"token file '{tokenFile}' names its {key} by the relative path '{recorded}', which Tessera does not resolve; pass --model (and --weights)");
        var candidate = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenFile))!, recorded);
        if (!File.Exists(candidate))
            throw new TokenFileFormatException($"token file '{tokenFile}' was encoded with {key} '{recorded}' (sha256 {FileDigest.Short(sha256)}…), which is not next to it ('{candidate}'); put that file there or pass --model (and --weights)");
        if (!FileIdentity.IsRegularFile(candidate))
            throw new TokenFileFormatException($"token file '{tokenFile}' names its {key} '{candidate}', which is not a regular file; pass --model (and --weights)");
        return Checked(tokenFile, key, recorded, candidate, sha256);
    }

    private static string Checked(string tokenFile, string key, string recorded, string file, string? sha256) =>
        Mismatch(tokenFile, key, recorded, sha256, file) is { } problem
            ? throw new TokenFileFormatException($"{problem}; pass --model (and --weights) to decode with it anyway")
            : file;
}
