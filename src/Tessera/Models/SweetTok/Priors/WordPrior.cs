using System.Text.Json;
using Tessera.Checkpoints;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok.Priors;

/// <summary>One part of speech of a word prior: its words, how often each occurs, and one vector per word.</summary>
/// <param name="Name">The part of speech: <c>adjective</c>, <c>noun</c>, <c>adverb</c> or <c>verb</c>.</param>
/// <param name="Vectors">Row-major <c>Words.Count × Dim</c> float32 word vectors.</param>
/// <param name="Words">The words, in vocabulary order.</param>
/// <param name="Counts">How often each word occurs in the captions the prior was built from.</param>
/// <param name="Dim">Width of one word vector.</param>
internal sealed record WordGroup(string Name, IReadOnlyList<string> Words, IReadOnlyList<long> Counts, float[] Vectors, int Dim)
{
    public int Count => Words.Count;
    public ReadOnlySpan<float> Vector(int i) => Vectors.AsSpan(i * Dim, Dim);
}

/// <summary>
/// A SweetTok MLC word prior: what the official pickles hold. <see cref="First"/> is the top-2 half (adjectives or
/// adverbs), <see cref="Second"/> the argmin half (nouns or verbs); <see cref="Edges"/> are word pairs (either
/// order; the official quantiser adds the reverse direction itself). <see cref="Info"/> records how it was made.
/// </summary>
internal sealed record WordPrior(string Kind, WordGroup First, WordGroup Second, IReadOnlyList<(string A, string B)> Edges,
    IReadOnlyDictionary<string, string> Info)
{
    public const string Format = "tessera.word_prior.v1";
    public const string AdjectiveNoun = "adjective_noun";
    public const string AdverbVerb = "adverb_verb";

    public int Dim => First.Dim;

    /// <summary>
    /// Writes the prior as safetensors: <c>first_vectors</c>/<c>second_vectors</c> (float32 [N, D]),
    /// <c>first_counts</c>/<c>second_counts</c> (int64 [N]), <c>edges</c> (int64 [E, 2], rows of first ‖ second),
    /// and the word lists as JSON arrays in the metadata (<c>first_words</c>, <c>second_words</c>).
    /// </summary>
    public void Write(string path)
    {
        if (First.Dim != Second.Dim) throw new ArgumentException($"vector widths differ: {First.Dim} and {Second.Dim}");
        var rows = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < First.Count; i++) rows.TryAdd(First.Words[i], i);
        for (var i = 0; i < Second.Count; i++) rows[Second.Words[i]] = First.Count + i;
        var flat = new long[Edges.Count * 2];
        for (var e = 0; e < Edges.Count; e++)
        {
            flat[2 * e] = rows.TryGetValue(Edges[e].A, out var a) ? a : throw new ArgumentException($"edge word '{Edges[e].A}' is in neither group");
            flat[2 * e + 1] = rows.TryGetValue(Edges[e].B, out var b) ? b : throw new ArgumentException($"edge word '{Edges[e].B}' is in neither group");
        }
        using var scope = NewDisposeScope();
        var meta = new Dictionary<string, string>(Info, StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["kind"] = Kind,
            ["first_group"] = First.Name,
            ["second_group"] = Second.Name,
            ["first_words"] = JsonSerializer.Serialize(First.Words),
            ["second_words"] = JsonSerializer.Serialize(Second.Words),
        };
        SafeTensorsFile.Save(path, new (string, Tensor)[]
        {
            ("first_vectors", tensor(First.Vectors, [First.Count, Dim])),
            ("second_vectors", tensor(Second.Vectors, [Second.Count, Dim])),
            ("first_counts", tensor(First.Counts.ToArray(), [First.Count])),
            ("second_counts", tensor(Second.Counts.ToArray(), [Second.Count])),
            ("edges", tensor(flat, [Edges.Count, 2])),
        }, meta);
    }

    /// <summary>Reads a prior written by <see cref="Write"/>; a malformed file gives an error naming it.</summary>
    public static WordPrior Read(string path)
    {
        using var dict = SafeTensorsFile.Load(path);
        string Meta(string key) => dict.Metadata.TryGetValue(key, out var v) ? v : throw Bad(path, $"metadata '{key}' is missing");
        if (Meta("format") != Format) throw Bad(path, $"format '{Meta("format")}' is not {Format}");
        Tensor T(string name) => dict.TryGetValue(name, out var t) ? t : throw Bad(path, $"tensor '{name}' is missing");
        List<string> Words(string key)
        {
            try { return JsonSerializer.Deserialize<List<string>>(Meta(key)) ?? throw Bad(path, $"metadata '{key}' is null"); }
            catch (JsonException e) { throw Bad(path, $"metadata '{key}' is not a JSON list of words: {e.Message}"); }
        }
        WordGroup Group(string which, string name)
        {
            var words = Words($"{which}_words");
            var v = T($"{which}_vectors");
            var c = T($"{which}_counts");
            if (v.dtype != ScalarType.Float32 || v.dim() != 2 || v.shape[0] != words.Count)
                throw Bad(path, $"{which}_vectors is {v.dtype} [{string.Join(", ", v.shape)}]; expected float32 [{words.Count}, D]");
            if (c.dtype != ScalarType.Int64 || c.dim() != 1 || c.shape[0] != words.Count)
                throw Bad(path, $"{which}_counts is {c.dtype} [{string.Join(", ", c.shape)}]; expected int64 [{words.Count}]");
            return new WordGroup(name, words, c.data<long>().ToArray(), v.contiguous().data<float>().ToArray(), (int)v.shape[1]);
        }
        var first = Group("first", Meta("first_group"));
        var second = Group("second", Meta("second_group"));
        if (first.Dim != second.Dim) throw Bad(path, $"vector widths differ: {first.Dim} and {second.Dim}");
        var edges = T("edges");
        if (edges.dtype != ScalarType.Int64 || edges.dim() != 2 || edges.shape[1] != 2)
            throw Bad(path, $"edges is {edges.dtype} [{string.Join(", ", edges.shape)}]; expected int64 [E, 2]");
        var n = first.Count + second.Count;
        string Word(long r) => r >= 0 && r < n ? (r < first.Count ? first.Words[(int)r] : second.Words[(int)r - first.Count])
            : throw Bad(path, $"edge row {r} is outside the {n} words");
        var e = edges.data<long>().ToArray();
        var pairs = new List<(string, string)>(e.Length / 2);
        for (var i = 0; i < e.Length; i += 2) pairs.Add((Word(e[i]), Word(e[i + 1])));
        var info = dict.Metadata.Where(kv => kv.Key is not ("format" or "kind" or "first_group" or "second_group" or "first_words" or "second_words"))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return new WordPrior(Meta("kind"), first, second, pairs, info);
    }

    private static InvalidInputException Bad(string path, string what) => new($"{path}: not a Tessera word prior: {what}");
}
