using System.Globalization;

namespace Tessera.Configs;

/// <summary>
/// One node of a parsed configuration tree (mapping, sequence or scalar). Every node knows the file it
/// came from, its dotted key path (<c>model.params.ch_mult[2]</c>) and its line, so errors can name all three.
/// </summary>
internal abstract class ConfigNode
{
    private protected ConfigNode(string source, string path, int line)
    {
        Source = source;
        Path = path;
        Line = line;
    }

    /// <summary>The file (or other source name) the node was read from.</summary>
    public string Source { get; }

    /// <summary>Dotted key path from the root; empty for the root itself.</summary>
    public string Path { get; }

    /// <summary>1-based line of the node in <see cref="Source"/>; 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>"mapping", "sequence", "integer", ... for error messages.</summary>
    public abstract string KindName { get; }

    public bool IsNull => this is ConfigScalar { Kind: ScalarKind.Null };

    /// <summary>An exception whose message names the file, the line and the key path of this node.</summary>
    public ConfigException Error(string message) => new($"{Location}: {message}");

    internal string Location =>
        $"{Source}{(Line > 0 ? $":{Line}" : "")}: {(Path.Length == 0 ? "document root" : $"key '{Path}'")}";

    internal static string WithArticle(string kind) => ("aeiou".Contains(kind[0]) ? "an " : "a ") + kind;

    internal static string ChildPath(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    internal static string ItemPath(string parent, int index) => $"{parent}[{index}]";

    /// <summary>Deep copy of this (already resolved) subtree under a new key path.</summary>
    internal abstract ConfigNode WithPath(string path);

    public ConfigMapping AsMapping() => this as ConfigMapping ?? throw WrongType("a mapping");

    public ConfigSequence AsSequence() => this as ConfigSequence ?? throw WrongType("a sequence");

    public ConfigScalar AsScalar() => this as ConfigScalar ?? throw WrongType("a scalar");

    public long AsLong()
    {
        if (this is not ConfigScalar { Kind: ScalarKind.Int } s) throw WrongType("an integer");
        if (!ConfigScalar.TryParseInt(s.Text, out var v)) throw Error($"integer '{s.Text}' is out of range");
        return v;
    }

    public int AsInt()
    {
        var v = AsLong();
        if (v is < int.MinValue or > int.MaxValue) throw Error($"integer {v} is out of range");
        return (int)v;
    }

    /// <summary>A float or an integer (YAML <c>1e-5</c>, <c>0.25</c>, <c>3</c>, <c>.inf</c>).</summary>
    public double AsDouble()
    {
        if (this is ConfigScalar { Kind: ScalarKind.Float } f) return ConfigScalar.ParseFloat(f.Text);
        if (this is ConfigScalar { Kind: ScalarKind.Int }) return AsLong();
        throw WrongType("a number");
    }

    public bool AsBool()
    {
        if (this is ConfigScalar { Kind: ScalarKind.Bool } s) return ConfigScalar.ParseBool(s.Text);
        throw WrongType("a boolean");
    }

    /// <summary>A string scalar: plain text that is not null/bool/number, or any quoted scalar.</summary>
    public string AsString()
    {
        if (this is ConfigScalar { Kind: ScalarKind.String } s) return s.Text;
        throw WrongType("a string");
    }

    public IReadOnlyList<int> AsIntList() => AsSequence().Items.Select(i => i.AsInt()).ToArray();

    private ConfigException WrongType(string expected) => Error($"expected {expected}, got {Describe()}");

    internal string Describe() => this switch
    {
        ConfigScalar { Kind: ScalarKind.Null } => "null",
        ConfigScalar s => $"{s.KindName} '{s.Text}'",
        _ => KindName,
    };
}

/// <summary>What a scalar's text means under YAML 1.1 core rules with OmegaConf's float fix (<c>1e-5</c> is a float).</summary>
internal enum ScalarKind { Null, Bool, Int, Float, String }

internal sealed class ConfigScalar : ConfigNode
{
    private static readonly HashSet<string> Nulls = ["", "~", "null", "Null", "NULL"];
    private static readonly HashSet<string> Trues = ["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"];
    private static readonly HashSet<string> Falses = ["false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"];

    // YAML 1.1 decimal/hex integers (octal and sexagesimal forms are deliberately not numbers here).
    private static readonly System.Text.RegularExpressions.Regex IntPattern =
        new(@"^[-+]?(?:0|[1-9][0-9_]*|0x[0-9a-fA-F_]+)$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    // OmegaConf's float resolver (accepts 1e-5 without a dot, unlike plain PyYAML).
    private static readonly System.Text.RegularExpressions.Regex FloatPattern = new(
        @"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public ConfigScalar(string source, string path, int line, string text, bool quoted)
        : this(source, path, line, text, quoted ? ScalarKind.String : Classify(text)) { }

    private ConfigScalar(string source, string path, int line, string text, ScalarKind kind) : base(source, path, line)
    {
        Text = text;
        Kind = kind;
    }

    /// <summary>The scalar's text exactly as written (without quotes).</summary>
    public string Text { get; }

    public ScalarKind Kind { get; }

    public override string KindName => Kind switch
    {
        ScalarKind.Null => "null",
        ScalarKind.Bool => "boolean",
        ScalarKind.Int => "integer",
        ScalarKind.Float => "float",
        _ => "string",
    };

    internal override ConfigNode WithPath(string path) => new ConfigScalar(Source, path, Line, Text, Kind);

    internal static ConfigScalar StringValue(string source, string path, int line, string text) =>
        new(source, path, line, text, ScalarKind.String);

    public static ScalarKind Classify(string text)
    {
        if (Nulls.Contains(text)) return ScalarKind.Null;
        if (Trues.Contains(text) || Falses.Contains(text)) return ScalarKind.Bool;
        if (IntPattern.IsMatch(text)) return ScalarKind.Int;
        if (FloatPattern.IsMatch(text)) return ScalarKind.Float;
        return ScalarKind.String;
    }

    internal static bool ParseBool(string text) => Trues.Contains(text);

    internal static bool TryParseInt(string text, out long value)
    {
        var t = text.Replace("_", "", StringComparison.Ordinal);
        var negative = t.StartsWith('-');
        if (t.StartsWith('-') || t.StartsWith('+')) t = t[1..];
        bool ok = t.StartsWith("0x", StringComparison.Ordinal)
            ? long.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (negative) value = -value;
        return ok;
    }

    internal static double ParseFloat(string text)
    {
        var t = text.Replace("_", "", StringComparison.Ordinal);
        var lower = t.ToLowerInvariant();
        if (lower.EndsWith(".inf", StringComparison.Ordinal)) return lower.StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity;
        if (lower == ".nan") return double.NaN;
        return double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>The value as OmegaConf would print it inside a string interpolation.</summary>
    internal string InterpolationText => Kind switch
    {
        ScalarKind.Null => "None",
        ScalarKind.Bool => ParseBool(Text) ? "True" : "False",
        _ => Text,
    };
}

internal sealed class ConfigSequence : ConfigNode
{
    public ConfigSequence(string source, string path, int line, IReadOnlyList<ConfigNode> items) : base(source, path, line)
    {
        Items = items;
    }

    public IReadOnlyList<ConfigNode> Items { get; }

    public int Count => Items.Count;

    public override string KindName => "sequence";

    internal override ConfigNode WithPath(string path) =>
        new ConfigSequence(Source, path, Line, Items.Select((n, i) => n.WithPath(ItemPath(path, i))).ToArray());
}

/// <summary>An ordered mapping with string keys and typed getters that name the file and key path on failure.</summary>
internal sealed class ConfigMapping : ConfigNode
{
    private readonly Dictionary<string, ConfigNode> _byKey;

    public ConfigMapping(string source, string path, int line, IReadOnlyList<KeyValuePair<string, ConfigNode>> entries)
        : base(source, path, line)
    {
        Entries = entries;
        _byKey = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
        foreach (var (k, v) in entries)
            if (!_byKey.TryAdd(k, v)) throw v.Error("duplicate key");
    }

    public IReadOnlyList<KeyValuePair<string, ConfigNode>> Entries { get; }

    public IEnumerable<string> Keys => Entries.Select(e => e.Key);

    public override string KindName => "mapping";

    internal override ConfigNode WithPath(string path) => new ConfigMapping(Source, path, Line,
        Entries.Select(e => KeyValuePair.Create(e.Key, e.Value.WithPath(ChildPath(path, e.Key)))).ToArray());

    public bool ContainsKey(string key) => _byKey.ContainsKey(key);

    public ConfigNode? Find(string key) => _byKey.GetValueOrDefault(key);

    /// <summary>The value under <paramref name="key"/>; a missing key is a <see cref="ConfigException"/>.</summary>
    public ConfigNode Get(string key) =>
        Find(key) ?? throw new ConfigException($"{Location}: missing key '{ChildPath(Path, key)}'");

    /// <summary>The value, or null when the key is absent or explicitly null (Python's "None means default").</summary>
    public ConfigNode? FindNonNull(string key) => Find(key) is { IsNull: false } n ? n : null;

    public ConfigMapping GetMapping(string key) => Get(key).AsMapping();
    public ConfigSequence GetSequence(string key) => Get(key).AsSequence();
    public int GetInt(string key) => Get(key).AsInt();
    public int GetInt(string key, int fallback) => FindNonNull(key)?.AsInt() ?? fallback;
    public double GetDouble(string key) => Get(key).AsDouble();
    public double GetDouble(string key, double fallback) => FindNonNull(key)?.AsDouble() ?? fallback;
    public bool GetBool(string key) => Get(key).AsBool();
    public bool GetBool(string key, bool fallback) => FindNonNull(key)?.AsBool() ?? fallback;
    public string GetString(string key) => Get(key).AsString();
    public string GetString(string key, string fallback) => FindNonNull(key)?.AsString() ?? fallback;
    public IReadOnlyList<int> GetIntList(string key) => Get(key).AsIntList();
    public IReadOnlyList<int>? GetIntListOrNull(string key) => FindNonNull(key)?.AsIntList();
}
