using System.Numerics;
using System.Text;

namespace Tessera.Checkpoints.Pickle;

/// <summary>A Python tuple (immutable; structural equality so it can be a dict key).</summary>
internal sealed class PickleTuple : IEquatable<PickleTuple>
{
    /// <summary>Tuples nested deeper than this are refused (hashing and comparing them recurses).</summary>
    public const int MaxDepth = 1000;

    public PickleTuple(IReadOnlyList<object?> items)
    {
        Items = items;
        int depth = 0;
        foreach (var i in items)
            if (i is PickleTuple t) depth = Math.Max(depth, t.Depth);
        Depth = depth + 1;
        if (Depth > MaxDepth) throw new InvalidDataException($"tuples nested more than {MaxDepth} deep");
    }

    public IReadOnlyList<object?> Items { get; }
    internal int Depth { get; }
    public int Count => Items.Count;
    public object? this[int i] => Items[i];

    public bool Equals(PickleTuple? other)
        => other is not null && other.Items.Count == Items.Count && Items.Zip(other.Items).All(p => PickleKey.KeyEquals(p.First, p.Second));
    public override bool Equals(object? obj) => obj is PickleTuple t && Equals(t);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var i in Items) h.Add(PickleKey.KeyHash(i));
        return h.ToHashCode();
    }
    public override string ToString() => "(" + string.Join(", ", Items.Select(PickleKey.Describe)) + (Items.Count == 1 ? ",)" : ")");
}

/// <summary>An ordered Python dict (also OrderedDict). Attributes set by BUILD (e.g. <c>_metadata</c>) are kept apart.</summary>
internal sealed class PickleDict
{
    private readonly OrderedDictionary<object, object?> _items = new(PickleKey.Comparer);

    public int Count => _items.Count;
    public IEnumerable<KeyValuePair<object, object?>> Items => _items;
    public IEnumerable<object> Keys => _items.Keys;
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);

    /// <summary>None keys are stored as <see cref="PickleKey.None"/>.</summary>
    public void Set(object? key, object? value) => _items[key ?? PickleKey.None] = value;
    public bool TryGetValue(object key, out object? value) => _items.TryGetValue(key, out value);
    public object? this[string key] => _items[key];
    public override string ToString() => $"dict({_items.Count} items)";
}

/// <summary>A Python set or frozenset.</summary>
internal sealed class PickleSet(bool frozen)
{
    public bool Frozen { get; } = frozen;
    public List<object?> Items { get; } = [];
}

/// <summary>A reference to a Python global (class or function) by name. It is never resolved or called.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
    public override string ToString() => FullName;
}

/// <summary>
/// An inert stand-in for an object of a class that is not on the allowlist: the class name and whatever the
/// pickle passed to it (REDUCE/NEWOBJ arguments, BUILD state, appended items) are recorded, nothing runs.
/// </summary>
internal sealed class PickleObject(PickleGlobal type, PickleTuple args)
{
    public PickleGlobal Type { get; } = type;
    public PickleTuple Args { get; } = args;
    public object? State { get; internal set; }
    public List<object?> ListItems { get; } = [];
    public List<KeyValuePair<object?, object?>> DictItems { get; } = [];
    public string ClassName => Type.FullName;
    public override string ToString() => $"<{ClassName} placeholder>";
}

/// <summary>Helpers for Python-like key equality (1 == 1.0 == True is not modelled; ints, strings, tuples, bytes are).</summary>
internal static class PickleKey
{
    /// <summary>Stand-in for a None dict key.</summary>
    public static readonly object None = new NoneKey();

    private sealed class NoneKey { public override string ToString() => "None"; }

    internal static readonly IEqualityComparer<object> Comparer = new KeyComparer();

    internal static bool KeyEquals(object? a, object? b) => a switch
    {
        null => b is null,
        byte[] x => b is byte[] y && x.AsSpan().SequenceEqual(y),
        _ => a.Equals(b),
    };

    internal static int KeyHash(object? a) => a switch
    {
        null => 0,
        byte[] x => BytesHash(x),
        _ => a.GetHashCode(),
    };

    private static int BytesHash(byte[] x)
    {
        var h = new HashCode();
        h.AddBytes(x);
        return h.ToHashCode();
    }

    internal static string Describe(object? o) => o switch
    {
        null => "None",
        string s => $"'{s}'",
        bool b => b ? "True" : "False",
        byte[] b => $"bytes[{b.Length}]",
        BigInteger or long or double => Convert.ToString(o, System.Globalization.CultureInfo.InvariantCulture)!,
        PickleTuple t => t.ToString(),
        _ => o.ToString() ?? o.GetType().Name,
    };

    private sealed class KeyComparer : IEqualityComparer<object>
    {
        public new bool Equals(object? x, object? y) => KeyEquals(x, y);
        public int GetHashCode(object obj) => KeyHash(obj);
    }

    internal static string Latin1OrUtf8(byte[] b)
    {
        try { return new UTF8Encoding(false, true).GetString(b); }
        catch (DecoderFallbackException) { return Encoding.Latin1.GetString(b); }
    }
}
