using Tessera.Models.SweetTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>
/// The language codebooks' spread (docs/sweettok.md, "The long run"): the GCN's raw rows share one dominant direction,
/// so spread-out queries land on a handful of words; centred rows of a common norm spread them over the codebook.
/// </summary>
[DisposeScopePerTest]
public sealed class MlcQuantizerTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int PriorDim = 16, EDim = 8, Adjectives = 50, Nouns = 200, Queries = 64;

    [Fact]
    public void CentredCodebooks_SpreadUnitQueriesOverTheWords()
    {
        var (rawAdjectives, rawNouns) = DistinctWords(centred: false);
        var (adjectives, nouns) = DistinctWords(centred: true);
        output.WriteLine($"{Queries} random unit queries: raw rows {rawAdjectives} adjectives / {rawNouns} nouns, centred rows {adjectives} / {nouns}");
        // Raw rows (the reference): 15 adjectives and 27 nouns; centred: 29 and 45 (uniform picks would give about 36 and 55).
        Assert.True(adjectives >= 24, $"centred codebooks: {Queries} random queries picked only {adjectives} of {Adjectives} adjectives");
        Assert.True(nouns >= 40, $"centred codebooks: {Queries} random queries picked only {nouns} of {Nouns} nouns");
    }

    [Fact]
    public void CentredCodebooks_AreCentredWithRowsOfHalfAUnitQuery()
    {
        using var scope = NewDisposeScope();
        using var quantizer = Quantizer(centred: true);
        using var graph = Graph();
        using var books = quantizer.Refine(graph);
        foreach (var book in new[] { books.First, books.Second })
        {
            Assert.True(book.mean([0]).abs().max().item<float>() < 0.05, "the rows are not centred");
            var norms = book.norm(1);
            Assert.True((norms - Math.Sqrt(0.5)).abs().max().item<float>() < 1e-5, $"row norms {norms.min().item<float>()}..{norms.max().item<float>()}, want 1/sqrt(2)");
        }
    }

    private static (int Adjectives, int Nouns) DistinctWords(bool centred)
    {
        using var scope = NewDisposeScope();
        using var quantizer = Quantizer(centred);
        using var graph = Graph();
        using var books = quantizer.Refine(graph);
        using var generator = new Generator(11);
        var z = nn.functional.normalize(randn([1, 2 * EDim, 1, Queries], generator: generator), dim: 1);
        using var result = quantizer.forward(z, books);
        return ((int)result.FirstIndices[.., .., 0].unique().Item1.shape[0], (int)result.SecondIndices.unique().Item1.shape[0]);
    }

    // The trainer's initialisation (normal, std 0.02; zero biases) from a local generator.
    private static MlcQuantizer Quantizer(bool centred)
    {
        var quantizer = new MlcQuantizer(PriorDim, EDim, topK: 2, beta: 0.25, withMapping: false, centred);
        using var generator = new Generator(5);
        using var grad = no_grad();
        foreach (var (name, p) in quantizer.named_parameters())
            if (p.dim() >= 2) p.copy_(randn(p.shape, generator: generator) * 0.02);
            else p.zero_();
        quantizer.eval();
        return quantizer;
    }

    // Word vectors with a common component, as GloVe and LLM vectors have; each adjective linked to four nouns.
    private static WordGraph Graph()
    {
        using var generator = new Generator(3);
        var features = randn([Adjectives + Nouns, PriorDim], generator: generator) + 2.0;
        var pairs = Enumerable.Range(0, Adjectives).SelectMany(a => Enumerable.Range(0, 4).Select(k => (a, Adjectives + (a * 4 + k) % Nouns))).ToArray();
        var edges = tensor(pairs.SelectMany(p => new long[] { p.a, p.Item2 }).ToArray(), [pairs.Length, 2]).t().contiguous();
        return new WordGraph(features, edges, Adjectives);
    }
}
