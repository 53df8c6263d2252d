using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok.Priors;

/// <summary>Where a prior's edges come from.</summary>
internal enum PriorEdgeSource { WordNet, Knn, Both }

/// <summary>Sizes and edge choices for <see cref="WordPriorBuilder"/>.</summary>
internal sealed record WordPriorOptions
{
    public int Adjectives { get; init; } = 1000;
    public int Nouns { get; init; } = 2000;
    public int Adverbs { get; init; } = 300;
    public int Verbs { get; init; } = 1000;
    public PriorEdgeSource Edges { get; init; } = PriorEdgeSource.Both;
    /// <summary>k of the k-nearest-neighbour edges (cosine similarity, across the two groups, both ways).</summary>
    public int Neighbours { get; init; } = 5;
    /// <summary>WordNet pointer symbols used for WordNet edges.</summary>
    public IReadOnlySet<string> Relations { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "&", "!", "+", "=", "\\", "^", "$" };

    public void Validate()
    {
        foreach (var (key, value) in new[] { ("adjectives", Adjectives), ("nouns", Nouns), ("adverbs", Adverbs), ("verbs", Verbs) })
            if (value <= 0) throw new ConfigException($"--{key} must be positive, got {value}");
        if (Edges != PriorEdgeSource.WordNet && Neighbours <= 0) throw new ConfigException($"--neighbours must be positive, got {Neighbours}");
    }
}

/// <summary>
/// Builds SweetTok's two MLC word priors offline: the most frequent WordNet lemmas of each part of speech that have a
/// vector (single words of lowercase letters, hyphens or apostrophes; count, then the vectors' frequency rank, then
/// the word decide the order), nouns that are also chosen adjectives left out (the official adjective/noun loader
/// excludes them), and edges from WordNet relations and/or k nearest neighbours. Deterministic for the same inputs.
/// </summary>
internal static class WordPriorBuilder
{
    /// <summary>Every lemma that could be chosen (for loading only the vectors that matter).</summary>
    public static HashSet<string> Candidates(WordNetLexicon wordnet) =>
        Enum.GetValues<WordNetPos>().SelectMany(p => wordnet.Lemmas(p).Keys).Where(IsWord).ToHashSet(StringComparer.Ordinal);

    public static (WordPrior AdjectiveNoun, WordPrior AdverbVerb) Build(WordNetLexicon wordnet, IWordVectors vectors, WordPriorOptions options)
    {
        options.Validate();
        var adjectives = Pick(wordnet, vectors, WordNetPos.Adjective, options.Adjectives, null);
        var nouns = Pick(wordnet, vectors, WordNetPos.Noun, options.Nouns, adjectives.Words.ToHashSet(StringComparer.Ordinal));
        var adverbs = Pick(wordnet, vectors, WordNetPos.Adverb, options.Adverbs, null);
        var verbs = Pick(wordnet, vectors, WordNetPos.Verb, options.Verbs, null);
        List<(string, WordNetPos, string, WordNetPos)>? relations = null;
        if (options.Edges != PriorEdgeSource.Knn) relations = [.. wordnet.Relations(new HashSet<string>(options.Relations, StringComparer.Ordinal))];
        var info = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["words_from"] = $"WordNet {wordnet.Directory} (counts: {wordnet.CountSource})",
            ["vectors"] = vectors.Source,
            ["edges_from"] = options.Edges switch
            {
                PriorEdgeSource.WordNet => $"WordNet relations {string.Join(' ', options.Relations.Order(StringComparer.Ordinal))}",
                PriorEdgeSource.Knn => $"{options.Neighbours} nearest neighbours (cosine, across groups)",
                _ => $"WordNet relations {string.Join(' ', options.Relations.Order(StringComparer.Ordinal))} + {options.Neighbours} nearest neighbours (cosine, across groups)",
            },
            ["generator"] = "tessera codebook build",
            [WordPriorGraph.MinCountKey] = "0",
        };
        return (Assemble(WordPrior.AdjectiveNoun, adjectives, nouns, WordNetPos.Adjective, WordNetPos.Noun, relations, options, info),
                Assemble(WordPrior.AdverbVerb, adverbs, verbs, WordNetPos.Adverb, WordNetPos.Verb, relations, options, info));
    }

    internal static bool IsWord(string lemma)
    {
        if (lemma.Length < 2 || !char.IsAsciiLetterLower(lemma[0]) || !char.IsAsciiLetterLower(lemma[^1])) return false;
        foreach (var c in lemma)
            if (!char.IsAsciiLetterLower(c) && c is not ('-' or '\'')) return false;
        return true;
    }

    private static WordGroup Pick(WordNetLexicon wordnet, IWordVectors vectors, WordNetPos pos, int size, HashSet<string>? exclude)
    {
        var name = pos switch { WordNetPos.Adjective => "adjective", WordNetPos.Noun => "noun", WordNetPos.Adverb => "adverb", _ => "verb" };
        var chosen = wordnet.Lemmas(pos)
            .Where(kv => IsWord(kv.Key) && (exclude is null || !exclude.Contains(kv.Key)))
            .Select(kv => (Word: kv.Key, Count: kv.Value, Rank: vectors.Rank(kv.Key)))
            .OrderByDescending(w => w.Count).ThenBy(w => w.Rank).ThenBy(w => w.Word, StringComparer.Ordinal)
            .Select(w => (w.Word, w.Count, Vector: vectors.Get(w.Word)))
            .Where(w => w.Vector is not null)
            .Take(size)
            .ToList();
        var flat = new float[chosen.Count * vectors.Dim];
        for (var i = 0; i < chosen.Count; i++) chosen[i].Vector!.CopyTo(flat, i * vectors.Dim);
        return new WordGroup(name, [.. chosen.Select(c => c.Word)], [.. chosen.Select(c => c.Count)], flat, vectors.Dim);
    }

    private static WordPrior Assemble(string kind, WordGroup first, WordGroup second, WordNetPos firstPos, WordNetPos secondPos,
        List<(string A, WordNetPos PosA, string B, WordNetPos PosB)>? relations, WordPriorOptions options, Dictionary<string, string> info)
    {
        // Rows of first ‖ second; a word in both groups maps to its second-group row, as the official loader does.
        var rows = new Dictionary<(WordNetPos, string), int>();
        for (var i = 0; i < first.Count; i++) rows[(firstPos, first.Words[i])] = i;
        for (var i = 0; i < second.Count; i++) rows[(secondPos, second.Words[i])] = first.Count + i;
        var secondIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < second.Count; i++) secondIndex[second.Words[i]] = i;
        int Canon(int r) => r < first.Count && secondIndex.TryGetValue(first.Words[r], out var j) ? first.Count + j : r;
        var pairs = new SortedSet<(int, int)>();
        void Add(int a, int b)
        {
            a = Canon(a);
            b = Canon(b);
            if (a != b) pairs.Add(a < b ? (a, b) : (b, a));
        }
        var wordnetEdges = 0;
        if (relations is not null)
        {
            foreach (var r in relations)
                if (rows.TryGetValue((r.PosA, r.A), out var a) && rows.TryGetValue((r.PosB, r.B), out var b)) Add(a, b);
            wordnetEdges = pairs.Count;
        }
        if (options.Edges != PriorEdgeSource.WordNet && first.Count > 0 && second.Count > 0)
        {
            using var scope = NewDisposeScope();
            var f = nn.functional.normalize(tensor(first.Vectors, [first.Count, first.Dim]), dim: 1);
            var s = nn.functional.normalize(tensor(second.Vectors, [second.Count, second.Dim]), dim: 1);
            var sim = f.matmul(s.T);
            var kf = Math.Min(options.Neighbours, second.Count);
            var ks = Math.Min(options.Neighbours, first.Count);
            var fromFirst = sim.topk(kf, dim: 1).indexes.data<long>().ToArray();
            var fromSecond = sim.T.contiguous().topk(ks, dim: 1).indexes.data<long>().ToArray();
            for (var i = 0; i < first.Count; i++)
                for (var j = 0; j < kf; j++) Add(i, first.Count + (int)fromFirst[i * kf + j]);
            for (var i = 0; i < second.Count; i++)
                for (var j = 0; j < ks; j++) Add(first.Count + i, (int)fromSecond[i * ks + j]);
        }
        string Word(int r) => r < first.Count ? first.Words[r] : second.Words[r - first.Count];
        var prior = new WordPrior(kind, first, second, [.. pairs.Select(p => (Word(p.Item1), Word(p.Item2)))],
            new Dictionary<string, string>(info, StringComparer.Ordinal)
            {
                ["wordnet_edges"] = wordnetEdges.ToString(CultureInfo.InvariantCulture),
                ["edges"] = pairs.Count.ToString(CultureInfo.InvariantCulture),
            });
        Debug.Assert(prior.Edges.Count == pairs.Count);
        return prior;
    }
}
