namespace Tessera.Cli;

internal static class Paths
{
    /// <summary>Fails before any work when an output path cannot be what the command writes.</summary>
    public static void CheckOutput(string path, params string[] extensions)
    {
        if (extensions.Length > 0 && !extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            throw new UsageException($"output '{path}' must end with {string.Join(" or ", extensions)}");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null && File.Exists(dir))
            throw new UsageException($"output '{path}': '{dir}' is a file, not a directory");
    }

    /// <summary>A model argument as stored in token files: a preset name as is, a file as its full path.</summary>
    public static string Describe(string model) => File.Exists(model) ? Path.GetFullPath(model) : model;
}
