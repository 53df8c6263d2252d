namespace Tessera.Configs;

/// <summary>
/// A YAML configuration file read OmegaConf-style: <see cref="Root"/> holds the tree as written; <see cref="Resolve"/>
/// returns subtrees with <c>${...}</c> interpolations resolved, so sections a reader ignores are never resolved.
/// </summary>
internal sealed class ConfigDocument
{
    private ConfigDocument(string source, ConfigMapping root)
    {
        Source = source;
        Root = root;
    }

    /// <summary>The name used in error messages (normally the file path).</summary>
    public string Source { get; }

    /// <summary>The tree as written, interpolations unresolved.</summary>
    public ConfigMapping Root { get; }

    public static ConfigDocument Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read config file: {e.Message}", e);
        }
        return Parse(text, path);
    }

    public static ConfigDocument Parse(string yamlText, string sourceName) =>
        new(sourceName, YamlConfigReader.Parse(yamlText, sourceName));

    /// <summary>The whole document with every interpolation resolved.</summary>
    public ConfigMapping ResolveAll() => (ConfigMapping)new ConfigInterpolation(Root).Resolve(Root, "");

    /// <summary>The resolved subtree at a dotted path (<c>model.params.encoder_config</c>); missing → <see cref="ConfigException"/>.</summary>
    public ConfigNode Resolve(string dottedPath) =>
        TryResolve(dottedPath) ?? throw new ConfigException($"{Source}: missing key '{dottedPath}'");

    /// <summary>The resolved subtree at a dotted path, or null when a key on the way is absent.</summary>
    public ConfigNode? TryResolve(string dottedPath) => new ConfigInterpolation(Root).TryResolvePath(dottedPath);
}
