using System.Globalization;

namespace Tessera.Benchmarks;

/// <summary>`--key value` pairs; every benchmark reads the keys it knows and rejects the rest.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string> values;
    private readonly HashSet<string> read = new(StringComparer.Ordinal);

    private Options(Dictionary<string, string> values) => this.values = values;

    public static Options Parse(ReadOnlySpan<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected '--option value', got '{args[i]}'");
            values[args[i][2..]] = args[i + 1];
        }
        return new Options(values);
    }

    public string String(string key, string? fallback = null)
    {
        read.Add(key);
        return values.GetValueOrDefault(key) ?? fallback ?? throw new ArgumentException($"--{key} is required");
    }

    public int Int(string key, int fallback)
    {
        read.Add(key);
        return values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>Call after reading every option: a typo must not silently run the defaults.</summary>
    public void RejectUnknown()
    {
        var unknown = values.Keys.Where(k => !read.Contains(k)).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown.Select(k => "--" + k))}");
    }
}
