using Tessera.Models;

namespace Tessera.Cli;

/// <summary>
/// The models Tessera ships beside the tool (models/ in the repository, copied next to the binaries; see
/// <see cref="BundledModelFolder"/>): each is named by its file name without extension wherever a model is named, and
/// the default one is what a command uses when no --model is given.
/// </summary>
internal static class BundledModels
{
    /// <summary>The model to use: the given one (a bundled name resolved to its file), or the default bundled model.</summary>
    public static string Resolve(string? model)
    {
        if (model is not null) return ResolveName(model);
        var path = BundledModelFolder.DefaultPath;
        if (!File.Exists(path))
            throw new ConfigException($"no --model given and the bundled default model is missing ({path}); pass --model <preset|model file>");
        return path;
    }

    /// <summary>The first bundled model (by name) whose tokens are words, or null when none is.</summary>
    public static string? WordModel() => All().Select(m => m.Path)
        .FirstOrDefault(p => ModelFamilies.ReadConfig(p) is { } config && ModelFamilies.Of(config).HasWords);

    /// <summary>The bundled models present, by name.</summary>
    public static IReadOnlyList<(string Name, string Path)> All() => BundledModelFolder.All();

    /// <summary>
    /// A bundled model's name (not shadowed by a file of that name) as its file beside the tool, or a short name that
    /// is a word of exactly one bundled model's name and not a preset (<c>sweettok</c>); anything else as is.
    /// </summary>
    public static string ResolveName(string model)
    {
        if (File.Exists(model)) return model;
        if (Find(model) is { } path) return path;
        return !ModelFamilies.IsPreset(model) && BundledModelFolder.FileOfShortName(model) is { } shortPath ? shortPath : model;
    }

    /// <summary>The file of the bundled model named <paramref name="name"/>, or null when the folder has none of that name.</summary>
    public static string? Find(string name) => BundledModelFolder.FileOfName(name) is { } path && File.Exists(path) ? path : null;

    /// <summary>The bundled name of a model file, when it is one of the bundled files (by identity, whatever the path says).</summary>
    public static string? NameOf(string file)
    {
        if (!file.EndsWith(BundledModelFolder.Extension, StringComparison.OrdinalIgnoreCase) || !File.Exists(file)) return null;
        var name = Path.GetFileNameWithoutExtension(file);
        return Find(name) is { } bundled && FileIdentity.Same(file, bundled) ? name : null;
    }

    /// <summary>The name a recorded model (a bundled name, or a bundled file's name from a path that is not here) stands for, if bundled here.</summary>
    public static string? FindRecorded(string recorded)
    {
        if (Find(recorded) is { } byName) return byName;
        var file = Path.GetFileName(recorded);
        return file.EndsWith(BundledModelFolder.Extension, StringComparison.Ordinal) && !File.Exists(recorded)
            ? Find(Path.GetFileNameWithoutExtension(file))
            : null;
    }
}
