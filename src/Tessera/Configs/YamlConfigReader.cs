using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Tessera.Configs;

/// <summary>Parses YAML text (one document, merge keys allowed) into an unresolved <see cref="ConfigNode"/> tree.</summary>
internal static class YamlConfigReader
{
    public static ConfigMapping Parse(string yamlText, string sourceName)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(yamlText);
            stream.Load(new MergingParser(new Parser(reader)));
        }
        catch (YamlException e)
        {
            throw new ConfigException(
                $"{sourceName}:{e.Start.Line}: invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {Innermost(e).Message}", e);
        }
        catch (ArgumentException e) // e.g. a duplicate key reported by the representation model
        {
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
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode { Value: { } key })
                        throw new ConfigException($"{source}:{k.Start.Line}: {(path.Length == 0 ? "top level" : $"key '{path}'")}: mapping keys must be plain scalars");
                    entries.Add(KeyValuePair.Create(key, Convert(v, source, ConfigNode.ChildPath(path, key))));
                }
                return new ConfigMapping(source, path, line, entries);
            default:
                throw new ConfigException($"{source}:{line}: unsupported YAML node at '{path}'");
        }
    }
}
