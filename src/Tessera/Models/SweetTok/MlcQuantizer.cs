using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// The two language codebooks of one branch, [n1, e] and [n2, e]: adjectives and nouns (spatial) or adverbs and
/// verbs (temporal). In a model file they are stored as is, so inference needs no prior.
/// </summary>
internal sealed record MlcCodebooks(Tensor First, Tensor Second) : IDisposable
{
    public void Dispose()
    {
        First.Dispose();
        Second.Dispose();
    }
}

/// <summary>
/// One branch's quantised queries: the vectors [B, 2e, 1, L] (straight-through), the top-k indices into the
/// first codebook [B, L, k] (nearest first), the nearest indices into the second [B, L], and the legacy VQ losses.
/// </summary>
internal sealed record MlcResult(Tensor Quantized, Tensor FirstIndices, Tensor SecondIndices, Tensor QuantizerLoss,
    Tensor CommitmentLoss, Tensor CodebookLoss) : IDisposable
{
    public void Dispose()
    {
        foreach (var t in new[] { Quantized, FirstIndices, SecondIndices, QuantizerLoss, CommitmentLoss, CodebookLoss }) t.Dispose();
    }
}

/// <summary>
/// The multi-level language codebook quantiser (<c>MLC_quantizer_noun</c> / <c>MLC_quantizer_verb</c>). A unit-norm
/// query splits into two halves of width e: the first is replaced by the mean of its k nearest first-codebook
/// entries (adjectives/adverbs), the second by its nearest second-codebook entry (nouns/verbs), by squared
/// Euclidean distance to the GCN-refined, unnormalised word embeddings. Keys: gcn.*, and for the temporal branch
/// the unused <c>code_book_mapping</c> MLP the reference also owns.
/// </summary>
internal sealed class MlcQuantizer : nn.Module
{
    private readonly Gcn gcn;
    private readonly Sequential? code_book_mapping;
    private readonly long priorDim;
    private readonly long eDim;
    private readonly int topK;
    private readonly double beta;
    private readonly bool centred;

    // centred: Tessera's remedy for the codebook collapse (docs/sweettok.md): each refined codebook is centred (its
    // mean row subtracted) and its rows scaled to the norm of half a unit query, 1/√2. False is the reference.
    public MlcQuantizer(long priorDim, long eDim, int topK, double beta, bool withMapping, bool centred = false) : base(nameof(MlcQuantizer))
    {
        this.priorDim = priorDim;
        this.eDim = eDim;
        this.topK = topK;
        this.beta = beta;
        this.centred = centred;
        gcn = new Gcn(priorDim, eDim, eDim);
        if (withMapping) code_book_mapping = nn.Sequential(nn.Linear(priorDim, eDim), nn.LeakyReLU(0.1), nn.Linear(eDim, eDim));
        RegisterComponents();
    }

    public Gcn Gcn => gcn;

    /// <summary>The GCN-refined codebooks of a prior with gradients, for training (dropout drawn from <paramref name="dropout"/> in training mode).</summary>
    public MlcCodebooks RefineForTraining(WordGraph graph, Generator dropout)
    {
        graph.Check(priorDim);
        using var scope = NewDisposeScope();
        var nodes = gcn.forward(graph, dropout);
        var books = new MlcCodebooks(Shape(nodes[..(int)graph.FirstCount]), Shape(nodes[(int)graph.FirstCount..]));
        scope.MoveToOuter(books.First, books.Second);
        return books;
    }

    /// <summary>The GCN-refined codebooks of a prior (eval mode: no dropout).</summary>
    public MlcCodebooks Refine(WordGraph graph)
    {
        graph.Check(priorDim);
        using var scope = NewDisposeScope();
        var nodes = gcn.forward(graph);
        var books = new MlcCodebooks(Shape(nodes[..(int)graph.FirstCount]).contiguous(), Shape(nodes[(int)graph.FirstCount..]).contiguous());
        scope.MoveToOuter(books.First, books.Second);
        return books;
    }

    /// <summary>
    /// Codebooks given as rows rather than refined from a prior (the plain learned codebook of the language-codebook
    /// ablation), shaped as refined ones are; gradients reach the rows.
    /// </summary>
    public MlcCodebooks FromRows(Tensor first, Tensor second)
    {
        using var scope = NewDisposeScope();
        var books = new MlcCodebooks(Shape(first).alias(), Shape(second).alias());
        scope.MoveToOuter(books.First, books.Second);
        return books;
    }

    // The GCN's rows share one dominant direction (its ReLU features are non-negative and the word vectors have a
    // common mean), so raw rows are nearly parallel: every query's nearest word lies in one narrow cone and the pull
    // of the queries towards their words drags them all into it. Centred rows cannot all point one way; the common
    // norm makes the nearest word the one of largest cosine, whatever the rows' lengths.
    private Tensor Shape(Tensor book) =>
        centred ? nn.functional.normalize(book - book.mean([0], keepdim: true), dim: 1) * Math.Sqrt(0.5) : book;

    /// <param name="z">Unit-norm queries [B, 2e, 1, L].</param>
    /// <param name="books">The refined codebooks (<see cref="Refine"/>).</param>
    public MlcResult forward(Tensor z, MlcCodebooks books)
    {
        using var scope = NewDisposeScope();
        long b = z.shape[0], l = z.shape[^1];
        var first = Half(z, 0);
        var firstIndices = Distances(first, books.First).topk(topK, 1, largest: false, sorted: true).indexes;
        var firstQ = books.First.index_select(0, firstIndices.view(-1)).view(b * l, topK, eDim).mean([1]);
        var second = Half(z, eDim);
        var secondIndices = Distances(second, books.Second).argmin(1);
        var secondQ = books.Second.index_select(0, secondIndices);

        // The reference's legacy VQ loss: the queries are pulled to the codes with weight 1, the codes (the GCN) to the
        // queries with weight β; both halves' values are the same MSE.
        var firstPull = nn.functional.mse_loss(firstQ.detach(), first);
        var secondPull = nn.functional.mse_loss(secondQ.detach(), second);
        var firstCommit = nn.functional.mse_loss(firstQ, first.detach());
        var secondCommit = nn.functional.mse_loss(secondQ, second.detach());
        var quantizerLoss = firstPull.add(beta * firstCommit, Scalars.One).add(secondPull, Scalars.One).add(beta * secondCommit, Scalars.One);
        var quantized = cat([StraightThrough(first, firstQ), StraightThrough(second, secondQ)], 1);
        var result = new MlcResult(quantized, firstIndices.view(b, l, topK), secondIndices.view(b, l),
            quantizerLoss, beta * firstCommit.add(secondCommit, Scalars.One), firstPull.add(secondPull, Scalars.One).detach());
        scope.MoveToOuter(result.Quantized, result.FirstIndices, result.SecondIndices, result.QuantizerLoss, result.CommitmentLoss, result.CodebookLoss);
        return result;

        // z + (q − z), back to [B, e, 1, L].
        Tensor StraightThrough(Tensor zFlat, Tensor q) =>
            zFlat.add((q - zFlat).detach(), Scalars.One).view(b, 1, l, eDim).permute(0, 3, 1, 2);
    }

    // Channels [offset, offset + e) of [B, 2e, 1, L] as rows [B·L, e].
    private Tensor Half(Tensor z, long offset) =>
        z.narrow(1, offset, eDim).permute(0, 2, 3, 1).reshape(-1, eDim);

    // The reference's expansion ‖z‖² + ‖e‖² − 2 z·e, kept for identical rankings.
    private static Tensor Distances(Tensor rows, Tensor codebook) =>
        rows.pow(Scalars.Of(2)).sum(1, keepdim: true).add(codebook.pow(Scalars.Of(2)).sum(1), Scalars.One) - 2 * rows.matmul(codebook.t());
}
