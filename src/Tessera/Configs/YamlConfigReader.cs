using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Tessera.Configs;

/// <summary>
/// Parses YAML text (one document) into an unresolved <see cref="ConfigNode"/> tree. Anchors and aliases are
/// expanded; merge keys (<c>&lt;&lt;: *base</c>) copy the keys the mapping does not set itself.
/// </summary>
internal static class YamlConfigReader
{
    private const string MergeKey = "<<";

    /// <summary>Deepest nesting of sequences and mappings a config may have (VidTok's configs nest about 8 deep).</summary>
    public const int MaxDepth = 128;

    /// <summary>Most nodes a config may expand to once aliases and merges are copied (billion-laughs guard).</summary>
    public const int MaxNodes = 1_000_000;

    public static ConfigMapping Parse(string yamlText, string sourceName)
    {
        var stream = new YamlStream();
        try
        {
            CheckNesting(yamlText, sourceName);
            using var reader = new StringReader(yamlText);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new ConfigException(
                $"{sourceName}:{e.Start.Line}: invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {Innermost(e).Message}", e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // The scanner occasionally fails without a position (e.g. an unclosed flow sequence at a key).
            throw new ConfigException($"{sourceName}: invalid YAML: {e.Message}", e);
        }

        if (stream.Documents.Count == 0) throw new ConfigException($"{sourceName}: the file holds no YAML document");
        if (stream.Documents.Count > 1)
            throw new ConfigException($"{sourceName}: expected one YAML document, found {stream.Documents.Count}");
        var root = new Converter(sourceName).Convert(stream.Documents[0].RootNode, "", 0);
        if (root is ConfigScalar { IsNull: true }) throw new ConfigException($"{sourceName}: the YAML document is empty");
        return root as ConfigMapping
            ?? throw root.Error($"the top level of a config must be a mapping, got {root.Describe()}");
    }

    private static Exception Innermost(Exception e)
    {
        // YamlDotNet wraps the real complaint ("did not find expected key") in a generic outer message.
        while (e.InnerException is YamlException inner) e = inner;
        return e;
    }

    /// <summary>
    /// Refuses nesting deeper than <see cref="MaxDepth"/> before the (recursive) representation model is built, using the
    /// flat event parser.
    /// </summary>
    private static void CheckNesting(string yamlText, string sourceName)
    {
        using var reader = new StringReader(yamlText);
        var parser = new Parser(reader);
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.SequenceStart or YamlDotNet.Core.Events.MappingStart:
                    if (++depth > MaxDepth)
                        throw new ConfigException($"{sourceName}:{parser.Current.Start.Line}: the YAML nests deeper than {MaxDepth} levels");
                    break;
                case YamlDotNet.Core.Events.SequenceEnd or YamlDotNet.Core.Events.MappingEnd:
                    depth--;
                    break;
            }
        }
    }

    /// <summary>Converts one document, refusing aliases that refer to themselves, and expansions beyond the node budget.</summary>
    private sealed class Converter(string source)
    {
        private readonly HashSet<YamlNode> _open = new(ReferenceEqualityComparer.Instance);
        private int _nodes;

        public ConfigNode Convert(YamlNode node, string path, int depth)
        {
            var line = (int)node.Start.Line;
            if (++_nodes > MaxNodes)
                throw new ConfigException($"{source}:{line}: the YAML expands to more than {MaxNodes:N0} nodes (aliases and merges copied); refusing it");
            if (depth > MaxDepth)
                throw new ConfigException($"{source}:{line}: the YAML nests deeper than {MaxDepth} levels at '{path}'");
            if (node is YamlScalarNode s)
                return new ConfigScalar(source, path, line, s.Value ?? "", s.Style is not (ScalarStyle.Plain or ScalarStyle.Any));
            if (!_open.Add(node))
                throw new ConfigException($"{source}:{line}: key '{path}': an alias or merge refers to itself (recursive YAML is not supported)");
            try
            {
                return ConvertCollection(node, path, depth, line);
            }
            finally
            {
                _open.Remove(node);
            }
        }

        private ConfigNode ConvertCollection(YamlNode node, string path, int depth, int line)
        {
            switch (node)
            {
                case YamlSequenceNode seq:
                    return new ConfigSequence(source, path, line,
                        seq.Children.Select((c, i) => Convert(c, ConfigNode.ItemPath(path, i), depth + 1)).ToArray());
                case YamlMappingNode map:
                    var entries = new List<KeyValuePair<string, ConfigNode>>(map.Children.Count);
                    var keys = new HashSet<string>(StringComparer.Ordinal);
                    var merged = new List<YamlMappingNode>();
                    foreach (var (k, v) in map.Children)
                    {
                        if (k is not YamlScalarNode { Value: { } key } keyNode)
                            throw new ConfigException($"{source}:{k.Start.Line}: {(path.Length == 0 ? "top level" : $"key '{path}'")}: mapping keys must be scalars");
                        if (key == MergeKey && keyNode.Style is ScalarStyle.Plain or ScalarStyle.Any)
                        {
                            merged.AddRange(v switch
                            {
                                YamlMappingNode m => [m],
                                YamlSequenceNode s when s.Children.All(c => c is YamlMappingNode) => s.Children.Cast<YamlMappingNode>(),
                                _ => throw new ConfigException($"{source}:{v.Start.Line}: key '{ConfigNode.ChildPath(path, key)}': a merge key needs a mapping or a list of mappings"),
                            });
                            continue;
                        }
                        entries.Add(KeyValuePair.Create(key, Convert(v, ConfigNode.ChildPath(path, key), depth + 1)));
                        keys.Add(key);
                    }
                    // Explicit keys win over merged ones; earlier merge sources win over later ones (YAML merge spec).
                    foreach (var mergeSource in merged)
                    {
                        if (_open.Contains(mergeSource))
                            throw new ConfigException($"{source}:{line}: key '{path}': an alias or merge refers to itself (recursive YAML is not supported)");
                        var m = (ConfigMapping)Convert(mergeSource, path, depth);
                        foreach (var e in m.Entries)
                            if (keys.Add(e.Key)) entries.Add(e);
                    }
                    return new ConfigMapping(source, path, line, entries);
                default:
                    throw new ConfigException($"{source}:{line}: unsupported YAML node at '{path}'");
            }
        }
    }
}
