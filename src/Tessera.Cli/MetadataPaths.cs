using Tessera.Models.VidTok;

namespace Tessera.Cli;

/// <summary>
/// The model and weights a token file's metadata names, resolved without letting the file open arbitrary paths: a preset
/// or the bundled model by name, or an absolute path to a regular file. Relative paths (they would resolve against the
/// current directory), FIFOs, devices and other special files are refused; --model overrides all of it.
/// </summary>
internal static class MetadataPaths
{
    public static string? Resolve(string tokenFile, string key, string? recorded)
    {
        if (string.IsNullOrEmpty(recorded)) return null;
        if (VidTokPresets.TryGet(recorded, out _)) return recorded;
        if (recorded == BundledModel.Name || System.IO.Path.GetFileName(recorded) == BundledModel.FileName && !File.Exists(recorded))
            return BundledModel.Resolve(null);
        if (!System.IO.Path.IsPathFullyQualified(recorded))
            throw new TokenFileFormatException($"token file '{tokenFile}' names its {key} by the relative path '{recorded}', which Tessera does not resolve; pass --model (and --weights)");
        if (!File.Exists(recorded))
            throw new TokenFileFormatException($"token file '{tokenFile}' names its {key} '{recorded}', which does not exist here; pass --model (and --weights)");
        if (!FileIdentity.IsRegularFile(recorded))
            throw new TokenFileFormatException($"token file '{tokenFile}' names its {key} '{recorded}', which is not a regular file; pass --model (and --weights)");
        return recorded;
    }
}
