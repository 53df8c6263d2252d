namespace Tessera.Models;

/// <summary>
/// The folder of model files Tessera ships beside the tool (the repository's models/, copied next to the binaries) and
/// which of them is the default: the model the CLI uses without --model and SweetTok's default proxy. A model in it is
/// named by its file name without extension.
/// </summary>
internal static class BundledModelFolder
{
    public const string Extension = ".safetensors";

    /// <summary>
    /// The default, a discrete (FSQ) model: the first of these names the folder holds. The trained base model takes over
    /// as soon as its file is in models/; until then the small one it replaces is the default.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultNames = ["tessera_base_fsq_causal_488_4096", "tessera_small_fsq_causal_488_4096"];

    private static readonly AsyncLocal<string?> Override = new();

    /// <summary>models/ beside the binaries, or the folder a caller set for its own call path (<see cref="Use"/>).</summary>
    public static string Path => Override.Value ?? System.IO.Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>Makes <paramref name="folder"/> the bundled folder on this call path until disposed (tests, embedding hosts).</summary>
    public static IDisposable Use(string folder)
    {
        var previous = Override.Value;
        Override.Value = System.IO.Path.GetFullPath(folder);
        return new Restore(() => Override.Value = previous);
    }

    /// <summary>The file of the default model; when the folder holds none of <see cref="DefaultNames"/>, the first one's path.</summary>
    public static string DefaultPath =>
        DefaultNames.Select(FileOf).FirstOrDefault(File.Exists) ?? FileOf(DefaultNames[0]);

    /// <summary>The default model's name.</summary>
    public static string DefaultName => System.IO.Path.GetFileNameWithoutExtension(DefaultPath);

    /// <summary>The file a bundled name stands for (which may not exist); null for anything that is not a plain name.</summary>
    public static string? FileOfName(string name) => IsPlainName(name) ? FileOf(name) : null;

    /// <summary>
    /// The file of the one bundled model whose name has <paramref name="word"/> as one of its '_'-separated words
    /// (<c>sweettok</c>, <c>kl</c>), so the families' models can be named briefly; null when none has it. Several
    /// with it are an error that lists them, never a guess.
    /// </summary>
    public static string? FileOfShortName(string word)
    {
        if (!IsPlainName(word) || word.Contains('_')) return null;
        var matches = All().Where(m => m.Name.Split('_').Contains(word, StringComparer.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            0 => null,
            1 => matches[0].Path,
            _ => throw new ConfigException($"model '{word}' could be any of the bundled models {string.Join(", ", matches.Select(m => m.Name))}; name one in full"),
        };
    }

    /// <summary>The bundled models present, by name (ordinal order).</summary>
    public static IReadOnlyList<(string Name, string Path)> All()
    {
        if (!Directory.Exists(Path)) return [];
        return Directory.EnumerateFiles(Path, "*" + Extension)
            .Where(f => !System.IO.Path.GetFileName(f).StartsWith('.'))   // hidden: temporaries of a rewrite in progress
            .Select(f => (Name: System.IO.Path.GetFileNameWithoutExtension(f), Path: f))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static string FileOf(string name) => System.IO.Path.Combine(Path, name + Extension);

    private static bool IsPlainName(string name) =>
        name.Length > 0 && name[0] != '.' && name.IndexOfAny(['/', '\\', '\0']) < 0 && !name.EndsWith(Extension, StringComparison.OrdinalIgnoreCase);

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
