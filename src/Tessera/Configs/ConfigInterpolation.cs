using System.Text;

namespace Tessera.Configs;

/// <summary>
/// Resolves OmegaConf-style interpolations in a raw tree: <c>${a.b.c}</c> (absolute dotted path, list items as
/// <c>a.list.0</c> or <c>a.list[0]</c>), <c>${.sibling}</c> / <c>${..uncle}</c> (relative to the mapping holding
/// the key), a value that is exactly one interpolation takes the target node (mapping, list or typed scalar),
/// interpolations inside longer text are substituted as text, and <c>\${</c> is a literal <c>${</c>.
/// Resolver calls (<c>${oc.env:X}</c>) and nested interpolations are rejected.
/// </summary>
internal sealed class ConfigInterpolation(ConfigMapping root)
{
    // Raw key paths of interpolations currently being resolved, outermost first; a repeat is a cycle.
    private readonly List<string> _active = [];

    /// <summary>Longest chain of interpolations resolved through one another (<c>a: ${b}</c>, <c>b: ${c}</c>, …).</summary>
    public const int MaxChain = 100;

    /// <summary>Most nodes and text characters one resolution may produce (exponential-interpolation guard).</summary>
    public const long MaxWork = 4_000_000;

    private long _work;

    private void Spend(ConfigNode at, long amount)
    {
        _work += amount;
        if (_work > MaxWork)
            throw at.Error($"resolving the interpolations exceeds the budget of {MaxWork:N0} nodes and characters (an interpolation that copies itself over and over?)");
    }

    /// <summary>A resolved deep copy of <paramref name="raw"/> placed at key path <paramref name="path"/>.</summary>
    public ConfigNode Resolve(ConfigNode raw, string path)
    {
        Spend(raw, 1);
        return ResolveNode(raw, path);
    }

    private ConfigNode ResolveNode(ConfigNode raw, string path) => raw switch
    {
        ConfigMapping m => new ConfigMapping(m.Source, path, m.Line,
            m.Entries.Select(e => KeyValuePair.Create(e.Key, Resolve(e.Value, ConfigNode.ChildPath(path, e.Key)))).ToArray()),
        ConfigSequence s => new ConfigSequence(s.Source, path, s.Line,
            s.Items.Select((n, i) => Resolve(n, ConfigNode.ItemPath(path, i))).ToArray()),
        ConfigScalar { Kind: ScalarKind.String } sc when sc.Text.Contains("${", StringComparison.Ordinal) => ResolveScalar(sc, path),
        _ => raw.WithPath(path),
    };

    /// <summary>The resolved node at an absolute dotted path, or null when some key on the way is absent.</summary>
    public ConfigNode? TryResolvePath(string dottedPath, ConfigNode? requester = null)
    {
        var segments = SplitPath(dottedPath, requester ?? root);
        var raw = Walk(segments, requester ?? root, dottedPath, throwIfMissing: false);
        return raw is null ? null : Resolve(raw, dottedPath.Length == 0 ? "" : CanonicalPath(segments));
    }

    private ConfigNode ResolveScalar(ConfigScalar sc, string path)
    {
        var parts = Tokenize(sc);
        if (parts is [{ IsReference: true } only])
            return WithCycleGuard(sc, only.Text, () => Resolve(Lookup(sc, only.Text), path));

        var text = new StringBuilder();
        foreach (var part in parts)
        {
            if (!part.IsReference) { text.Append(part.Text); continue; }
            var value = WithCycleGuard(sc, part.Text, () => Resolve(Lookup(sc, part.Text), path));
            if (value is not ConfigScalar s)
                throw sc.Error($"interpolation '${{{part.Text}}}' inside text refers to {ConfigNode.WithArticle(value.KindName)}, not a scalar");
            Spend(sc, s.InterpolationText.Length);
            text.Append(s.InterpolationText);
        }
        return ConfigScalar.StringValue(sc.Source, path, sc.Line, text.ToString());
    }

    private T WithCycleGuard<T>(ConfigScalar at, string reference, Func<T> resolve)
    {
        var index = _active.IndexOf(at.Path);
        if (index >= 0)
            throw at.Error($"interpolation cycle: {string.Join(" -> ", _active.Skip(index).Append(at.Path))} (via '${{{reference}}}')");
        if (_active.Count >= MaxChain)
            throw at.Error($"interpolations nest deeper than {MaxChain} (a chain of '${{...}}' references through '{_active[0]}')");
        _active.Add(at.Path);
        try { return resolve(); }
        finally { _active.RemoveAt(_active.Count - 1); }
    }

    /// <summary>The raw node an interpolation written at <paramref name="at"/> refers to.</summary>
    private ConfigNode Lookup(ConfigScalar at, string reference)
    {
        var dots = reference.TakeWhile(c => c == '.').Count();
        var rest = reference[dots..];
        List<string> segments;
        if (dots == 0)
        {
            segments = SplitPath(rest, at);
        }
        else
        {
            // ${.x} is a sibling of the key holding the interpolation; each further dot climbs one level.
            var own = SplitPath(at.Path, at);
            var keep = own.Count - dots;
            if (keep < 0) throw at.Error($"interpolation '${{{reference}}}' climbs above the document root");
            segments = [.. own.Take(keep), .. rest.Length == 0 ? [] : SplitPath(rest, at)];
        }
        return Walk(segments, at, reference, throwIfMissing: true)!;
    }

    private ConfigNode? Walk(List<string> segments, ConfigNode requester, string reference, bool throwIfMissing)
    {
        ConfigNode node = root;
        var walked = new List<string>();
        foreach (var seg in segments)
        {
            // An intermediate value may itself be an interpolation (a: ${b}; c: ${a.x}).
            if (node is ConfigScalar { Kind: ScalarKind.String } sc && sc.Text.Contains("${", StringComparison.Ordinal))
                node = ResolveScalar(sc, sc.Path);
            ConfigNode? next = node switch
            {
                ConfigMapping m => m.Find(seg),
                ConfigSequence s when int.TryParse(seg, out var i) && i >= 0 && i < s.Count => s.Items[i],
                _ => null,
            };
            walked.Add(seg);
            if (next is null)
            {
                if (!throwIfMissing) return null;
                var what = node is ConfigMapping or ConfigSequence
                    ? $"missing key '{CanonicalPath(walked)}'"
                    : $"'{CanonicalPath(walked[..^1])}' is {ConfigNode.WithArticle(node.KindName)}, not a mapping or sequence";
                throw requester.Error($"interpolation '${{{reference}}}' cannot be resolved: {what}");
            }
            node = next;
        }
        return node;
    }

    private static string CanonicalPath(List<string> segments) => string.Join('.', segments);

    /// <summary>Splits <c>a.b[0].c</c> into <c>a</c>, <c>b</c>, <c>0</c>, <c>c</c>.</summary>
    private static List<string> SplitPath(string path, ConfigNode requester)
    {
        var segments = new List<string>();
        if (path.Length == 0) return segments;
        foreach (var dotted in path.Split('.'))
        {
            var s = dotted;
            var bracket = s.IndexOf('[', StringComparison.Ordinal);
            var head = bracket < 0 ? s : s[..bracket];
            if (head.Length > 0) segments.Add(head);
            else if (bracket != 0) throw requester.Error($"empty key in path '{path}'");
            for (s = bracket < 0 ? "" : s[bracket..]; s.Length > 0;)
            {
                var close = s.IndexOf(']', StringComparison.Ordinal);
                if (s[0] != '[' || close < 0) throw requester.Error($"malformed key path '{path}'");
                segments.Add(s[1..close]);
                s = s[(close + 1)..];
            }
        }
        return segments;
    }

    private readonly record struct Part(bool IsReference, string Text);

    private static List<Part> Tokenize(ConfigScalar sc)
    {
        var parts = new List<Part>();
        var text = sc.Text;
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length;)
        {
            if (text[i] == '\\' && string.CompareOrdinal(text, i + 1, "${", 0, 2) == 0)
            {
                literal.Append("${");
                i += 3;
                continue;
            }
            if (string.CompareOrdinal(text, i, "${", 0, 2) != 0)
            {
                literal.Append(text[i++]);
                continue;
            }
            var close = text.IndexOf('}', i + 2);
            if (close < 0) throw sc.Error($"unterminated interpolation in '{text}'");
            var body = text[(i + 2)..close].Trim();
            if (body.Contains("${", StringComparison.Ordinal))
                throw sc.Error($"nested interpolations are not supported: '{text}'");
            if (body.Contains(':', StringComparison.Ordinal))
                throw sc.Error($"resolver interpolations such as '${{{body}}}' are not supported");
            if (body.Length == 0) throw sc.Error($"empty interpolation in '{text}'");
            if (literal.Length > 0) { parts.Add(new Part(false, literal.ToString())); literal.Clear(); }
            parts.Add(new Part(true, body));
            i = close + 1;
        }
        if (literal.Length > 0) parts.Add(new Part(false, literal.ToString()));
        return parts;
    }
}
