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

    public static ConfigMapping Parse(string yamlText, string sourceName)
    {
        var stream = new YamlStream();
        try
        {
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
        var root = Convert(stream.Documents[0].RootNode, sourceName, "");
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

    private static ConfigNode Convert(YamlNode node, string source, string path)
    {
        var line = (int)node.Start.Line;
        switch (node)
        {
            case YamlScalarNode s:
                return new ConfigScalar(source, path, line, s.Value ?? "", s.Style is not (ScalarStyle.Plain or ScalarStyle.Any));
            case YamlSequenceNode seq:
                return new ConfigSequence(source, path, line,
                    seq.Children.Select((c, i) => Convert(c, source, ConfigNode.ItemPath(path, i))).ToArray());
            case YamlMappingNode map:
                var entries = new List<KeyValuePair<string, ConfigNode>>(map.Children.Count);
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
                    entries.Add(KeyValuePair.Create(key, Convert(v, source, ConfigNode.ChildPath(path, key))));
                }
                // Explicit keys win over merged ones; earlier merge sources win over later ones (YAML merge spec).
                foreach (var mergeSource in merged)
                {
                    var m = (ConfigMapping)Convert(mergeSource, source, path);
                    foreach (var e in m.Entries)
                        if (!entries.Exists(x => x.Key == e.Key)) entries.Add(e);
                }
                return new ConfigMapping(source, path, line, entries);
            default:
                throw new ConfigException($"{source}:{line}: unsupported YAML node at '{path}'");
        }
    }
}
