using System.Numerics;
using Tessera.Checkpoints;
using Tessera.Checkpoints.Pickle;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// One branch's prior as the official quantiser builds it from its pickle: the word graph (features ordered first
/// part of speech, then second) and both word lists in codebook order.
/// </summary>
public sealed record OfficialPrior(WordGraph Graph, IReadOnlyList<string> FirstWords, IReadOnlyList<string> SecondWords) : IDisposable
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
public static class OfficialPriors
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
        var first = new List<string>();
        var second = new List<string>();
        foreach (var (k, v) in firstCounts.Items)
            if (!spatial || Kept(k, v, firstNum)) first.Add(Word(k, firstNum));
        foreach (var (k, v) in secondCounts.Items)
            if (!spatial || (Kept(k, v, secondNum) && !firstCounts.TryGetValue(k, out _))) second.Add(Word(k, secondNum));
        if (first.Count == 0 || second.Count == 0)
            throw Bad($"no words survive in '{(first.Count == 0 ? firstNum : secondNum)}'{(spatial ? $" (counts must exceed {MinCountExclusive})" : "")}");

        var index = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (w, i) in first.Concat(second).Select((w, i) => (w, (long)i))) index[w] = i;   // later rows win, as in the official dict
        if (!root.TryGetValue(edgesKey, out var edgesObj) || edgesObj is not List<object?> pairs)
            throw Bad($"has no list '{edgesKey}'");
        var forward = new List<(long, long)>();
        foreach (var p in pairs)
        {
            var (a, b) = p switch
            {
                PickleTuple { Count: 2 } t => (t[0], t[1]),
                List<object?> { Count: 2 } l => (l[0], l[1]),
                _ => throw Bad($"'{edgesKey}' holds {PickleKey.Describe(p)}, not a word pair"),
            };
            if (a is string wa && b is string wb && index.TryGetValue(wa, out var ia) && index.TryGetValue(wb, out var ib)) forward.Add((ia, ib));
        }
        var all = forward.Concat(forward.Select(e => (e.Item2, e.Item1))).ToArray();

        using var scope = NewDisposeScope();
        var vectors = Vectors(Dict(firstVec), first, firstVec).Concat(Vectors(Dict(secondVec), second, secondVec)).ToArray();
        var width = vectors[0].shape[0];
        if (vectors.Any(v => v.shape[0] != width)) throw Bad($"word vectors differ in width (first is {width})");
        var features = stack(vectors).to_type(ScalarType.Float32);
        var edges = tensor(all.Select(e => e.Item1).Concat(all.Select(e => e.Item2)).ToArray(), ScalarType.Int64).view(2, all.Length);
        var graph = new WordGraph(features.DetachFromDisposeScope(), edges.DetachFromDisposeScope(), first.Count);
        return new OfficialPrior(graph, first, second);

        IEnumerable<Tensor> Vectors(PickleDict dict, List<string> words, string key)
        {
            foreach (var w in words)
            {
                if (!dict.TryGetValue(w, out var v) || v is not Tensor t) throw Bad($"word '{w}' has no tensor in '{key}'");
                var vector = spatial ? t.squeeze() : t;
                if (vector.dim() != 1 || !is_floating_point(vector))
                    throw Bad($"'{key}' of '{w}' must be a 1-D float vector{(spatial ? " after squeezing" : "")}, got {t.dtype} [{string.Join(", ", t.shape)}]");
                yield return vector;
            }
        }

        string Word(object key, string dict) => key as string ?? throw Bad($"'{dict}' has a non-string key {PickleKey.Describe(key)}");

        bool Kept(object key, object? value, string dict) => value switch
        {
            long l => l > MinCountExclusive,
            BigInteger b => b > MinCountExclusive,
            double d => d > MinCountExclusive,
            _ => throw Bad($"'{dict}' maps {PickleKey.Describe(key)} to {PickleKey.Describe(value)}, not a count"),
        };
    }
}
