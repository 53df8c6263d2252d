using System.Numerics;
using Tessera.Checkpoints;
using Tessera.Checkpoints.Pickle;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// One branch's prior as the official quantiser builds it from its pickle: the word graph (features ordered first
/// part of speech, then second) and both word lists in codebook order.
/// </summary>
internal sealed record OfficialPrior(WordGraph Graph, IReadOnlyList<string> FirstWords, IReadOnlyList<string> SecondWords) : IDisposable
{
    public void Dispose() => Graph.Dispose();
}

/// <summary>
/// Reads the two official word-prior pickles (<c>adj_noun_word_knowledge_*.pkl</c>, <c>big_nlp_word_knowledge_*.pkl</c>)
/// with the restricted unpickler, and builds the word graphs exactly as the official MLC quantisers do:
/// <list type="bullet">
/// <item>spatial: adjectives with count &gt; 10, then nouns with count &gt; 10 that are not adjective keys (even dropped ones);
/// vectors are squeezed to 1-D.</item>
/// <item>temporal: every adverb, then every verb, no count filter; vectors must already be 1-D. A word in both lists
/// gets two rows, and its edges land on the verb row (the later one).</item>
/// <item>edges: each pair whose two words survive, as (first, second) in file order, then every pair reversed;
/// duplicates and self-loops are kept (the GCN normalisation handles them).</item>
/// </list>
/// </summary>
internal static class OfficialPriors
{
    /// <summary>Counts at or below this drop a spatial word (the official quantiser keeps count &gt; 10).</summary>
    public const long MinCountExclusive = 10;

    /// <summary>The adjective/noun prior: an official pickle, or a <c>tessera codebook build</c> safetensors file.</summary>
    public static OfficialPrior LoadSpatial(string path) => IsWordPriorFile(path)
        ? FromWordPrior(path, Priors.WordPrior.AdjectiveNoun)
        : Load(path, "adj_code_book_num", "noun_code_book_num", "adj_code_book_vec", "noun_code_book_vec", "adj_noun_edges", spatial: true);

    /// <summary>The adverb/verb prior: an official pickle, or a <c>tessera codebook build</c> safetensors file.</summary>
    public static OfficialPrior LoadTemporal(string path) => IsWordPriorFile(path)
        ? FromWordPrior(path, Priors.WordPrior.AdverbVerb)
        : Load(path, "adverb_code_book_num", "verb_code_book_num", "adverb_vec", "verb_vec", "verb_adverb_edges", spatial: false);

    // A safetensors file starts with its header length (8 bytes, little-endian) and then '{'; a pickle starts with 0x80.
    private static bool IsWordPriorFile(string path)
    {
        if (!File.Exists(path)) return false;
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[9];
        return f.Read(head) == 9 && head[8] == (byte)'{';
    }

    private static OfficialPrior FromWordPrior(string path, string kind)
    {
        var prior = Priors.WordPrior.Read(path);
        if (prior.Kind != kind)
            throw new CheckpointFormatException($"prior '{path}' is an {prior.Kind} prior; this option takes an {kind} prior");
        var (graph, first, second) = Priors.WordPriorGraph.ToCodebookGraph(prior);
        return new OfficialPrior(graph, first, second);
    }

    private static OfficialPrior Load(string path, string firstNum, string secondNum, string firstVec, string secondVec, string edgesKey, bool spatial)
    {
        if (!File.Exists(path)) throw new CheckpointFormatException($"prior '{path}' does not exist");
        using var content = TorchPickle.Load(path);
        CheckpointFormatException Bad(string problem) => new($"prior '{path}': {problem}");
        if (content.Root is not PickleDict root) throw Bad($"top-level object is {PickleKey.Describe(content.Root)}, not a dict");
        PickleDict Dict(string key) => root.TryGetValue(key, out var v) && v is PickleDict d ? d
            : throw Bad($"has no dict '{key}' (keys: {string.Join(", ", root.Keys.Select(PickleKey.Describe))}); is this the {(spatial ? "spatial (adjective/noun)" : "temporal (adverb/verb)")} prior?");

        var firstCounts = Dict(firstNum);
        var secondCounts = Dict(secondNum);
        if (!root.TryGetValue(edgesKey, out var edgesObj) || edgesObj is not List<object?> pairs)
            throw Bad($"has no list '{edgesKey}'");
        var edges = new List<(string, string)>();
        foreach (var p in pairs)
        {
            var (a, b) = p switch
            {
                PickleTuple { Count: 2 } t => (t[0], t[1]),
                List<object?> { Count: 2 } l => (l[0], l[1]),
                _ => throw Bad($"'{edgesKey}' holds {PickleKey.Describe(p)}, not a word pair"),
            };
            if (a is string wa && b is string wb) edges.Add((wa, wb));
        }
        var first = Group(spatial ? "adjective" : "adverb", firstCounts, firstNum, Dict(firstVec), firstVec, null);
        var second = Group(spatial ? "noun" : "verb", secondCounts, secondNum, Dict(secondVec), secondVec, spatial ? firstCounts : null);
        if (first.Dim != second.Dim) throw Bad($"word vectors differ in width ({first.Dim} and {second.Dim})");
        var prior = new Priors.WordPrior(spatial ? Priors.WordPrior.AdjectiveNoun : Priors.WordPrior.AdverbVerb, first, second, edges,
            new Dictionary<string, string>());
        try
        {
            var (graph, firstWords, secondWords) = Priors.WordPriorGraph.ToCodebookGraph(prior);
            return new OfficialPrior(graph, firstWords, secondWords);
        }
        catch (InvalidInputException e)
        {
            throw Bad(e.Message);
        }

        // Every word with its count and vector (the official rules are applied by the graph builder); a word the
        // official loader drops needs no vector (its row stays zero and is never used).
        Priors.WordGroup Group(string name, PickleDict counts, string countKey, PickleDict vectors, string vectorKey, PickleDict? excluded)
        {
            var words = new List<string>();
            var kept = new List<long>();
            var rows = new List<float[]>();
            foreach (var (k, v) in counts.Items)
            {
                var word = Word(k, countKey);
                var count = Count(k, v, countKey);
                words.Add(word);
                kept.Add(count);
                rows.Add((spatial && count <= MinCountExclusive) || (excluded?.TryGetValue(word, out _) ?? false) ? [] : Vector(vectors, word, vectorKey));
            }
            var dim = rows.FirstOrDefault(r => r.Length > 0)?.Length ?? 0;
            if (rows.Any(r => r.Length != 0 && r.Length != dim)) throw Bad($"word vectors in '{vectorKey}' differ in width (first is {dim})");
            var flat = new float[words.Count * dim];
            for (var i = 0; i < rows.Count; i++) rows[i].CopyTo(flat, i * dim);
            return new Priors.WordGroup(name, words, kept, flat, dim);
        }

        float[] Vector(PickleDict dict, string w, string key)
        {
            if (!dict.TryGetValue(w, out var v) || v is not Tensor t) throw Bad($"word '{w}' has no tensor in '{key}'");
            using var vector = spatial ? t.squeeze() : t.alias();
            if (vector.dim() != 1 || !is_floating_point(vector))
                throw Bad($"'{key}' of '{w}' must be a 1-D float vector{(spatial ? " after squeezing" : "")}, got {t.dtype} [{string.Join(", ", t.shape)}]");
            using var f = vector.to_type(ScalarType.Float32).contiguous();
            return f.data<float>().ToArray();
        }

        string Word(object key, string dict) => key as string ?? throw Bad($"'{dict}' has a non-string key {PickleKey.Describe(key)}");

        long Count(object key, object? value, string dict) => value switch
        {
            long l => l,
            BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
            double d when !double.IsNaN(d) => d >= long.MaxValue ? long.MaxValue : d <= long.MinValue ? long.MinValue : (long)Math.Floor(d),
            _ => throw Bad($"'{dict}' maps {PickleKey.Describe(key)} to {PickleKey.Describe(value)}, not a count"),
        };
    }
}
