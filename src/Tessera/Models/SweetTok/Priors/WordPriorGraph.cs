using static TorchSharp.torch;

namespace Tessera.Models.SweetTok.Priors;

/// <summary>The word graph SweetTok's MLC quantiser builds from a prior, by the official loader's rules.</summary>
internal static class WordPriorGraph
{
    /// <summary>Count threshold of the official adjective/noun loader: words with a count of 10 or less are dropped.</summary>
    public const long MinAdjectiveNounCount = 11;

    /// <summary>Info key of a prior that sets its own count threshold (<c>codebook build</c> writes 0: its counts are
    /// WordNet sense tags, far smaller than the corpus counts the official threshold was set for).</summary>
    public const string MinCountKey = "min_count";

    /// <summary>
    /// Nodes are the kept first-group words, then the kept second-group words. For <see cref="WordPrior.AdjectiveNoun"/>,
    /// words with a count of 10 or less are dropped (or below the prior's own <see cref="MinCountKey"/>), and so are
    /// nouns that are adjective words (even dropped ones). The
    /// adverb/verb prior keeps every word. A word in both groups maps to its second-group row. Edges are the pairs
    /// whose two words are kept, in order, then the same pairs reversed (duplicates and self-loops kept).
    /// </summary>
    public static WordGraph ToWordGraph(this WordPrior prior) => prior.ToCodebookGraph().Graph;

    /// <summary>As <see cref="ToWordGraph"/>, with the kept words of each group in codebook order.</summary>
    public static (WordGraph Graph, IReadOnlyList<string> FirstWords, IReadOnlyList<string> SecondWords) ToCodebookGraph(this WordPrior prior)
    {
        var official = prior.Kind == WordPrior.AdjectiveNoun;
        if (!official && prior.Kind != WordPrior.AdverbVerb) throw new InvalidInputException($"word prior kind '{prior.Kind}' is neither {WordPrior.AdjectiveNoun} nor {WordPrior.AdverbVerb}");
        var min = !official ? 0 : prior.Info.TryGetValue(MinCountKey, out var own)
            ? long.TryParse(own, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var m) ? m
                : throw new InvalidInputException($"word prior '{prior.Kind}': {MinCountKey} '{own}' is not a non-negative integer")
            : MinAdjectiveNounCount;
        var firstWords = prior.First.Words.ToHashSet(StringComparer.Ordinal);
        var first = Enumerable.Range(0, prior.First.Count).Where(i => prior.First.Counts[i] >= min).ToList();
        var second = Enumerable.Range(0, prior.Second.Count)
            .Where(i => prior.Second.Counts[i] >= min && !(official && firstWords.Contains(prior.Second.Words[i]))).ToList();
        if (first.Count == 0 || second.Count == 0)
            throw new InvalidInputException($"word prior '{prior.Kind}' keeps {first.Count} {prior.First.Name}s and {second.Count} {prior.Second.Name}s; both must be non-empty");
        var rows = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var r = 0; r < first.Count; r++) rows[prior.First.Words[first[r]]] = r;
        for (var r = 0; r < second.Count; r++) rows[prior.Second.Words[second[r]]] = first.Count + r;
        var pairs = prior.Edges.Where(e => rows.ContainsKey(e.A) && rows.ContainsKey(e.B)).Select(e => (rows[e.A], rows[e.B])).ToList();
        var n = pairs.Count;
        var index = new long[4 * n];
        for (var e = 0; e < n; e++)
        {
            index[e] = pairs[e].Item1;             // sources: the pairs, then reversed
            index[n + e] = pairs[e].Item2;
            index[2 * n + e] = pairs[e].Item2;     // targets
            index[3 * n + e] = pairs[e].Item1;
        }
        var dim = prior.Dim;
        var x = new float[(first.Count + second.Count) * dim];
        for (var r = 0; r < first.Count; r++) prior.First.Vector(first[r]).CopyTo(x.AsSpan(r * dim, dim));
        for (var r = 0; r < second.Count; r++) prior.Second.Vector(second[r]).CopyTo(x.AsSpan((first.Count + r) * dim, dim));
        var graph = new WordGraph(tensor(x, [first.Count + second.Count, dim]), tensor(index, [2, 2 * n]), first.Count);
        return (graph, first.Select(i => prior.First.Words[i]).ToList(), second.Select(i => prior.Second.Words[i]).ToList());
    }
}
