using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// A language prior as the MLC quantiser consumes it: node features [n, D] ordered [first part-of-speech |
/// second] (adjectives then nouns, or adverbs then verbs) and directed edges [2, E] (row 0 source, row 1 target;
/// the official builder lists every pair both ways and keeps duplicates).
/// </summary>
internal sealed record WordGraph(Tensor Features, Tensor EdgeIndex, long FirstCount) : IDisposable
{
    public long NodeCount => Features.shape[0];

    /// <summary>Throws <see cref="ArgumentException"/> unless the graph can feed a GCN of input width <paramref name="featureDim"/>.</summary>
    public void Check(long featureDim)
    {
        if (Features.dim() != 2 || Features.shape[1] != featureDim)
            throw new ArgumentException($"prior features must be [n, {featureDim}], got [{string.Join(", ", Features.shape)}]");
        if (FirstCount <= 0 || FirstCount >= NodeCount)
            throw new ArgumentException($"prior has {NodeCount} words, so the first part-of-speech count must be in 1..{NodeCount - 1}, got {FirstCount}");
        if (EdgeIndex.dim() != 2 || EdgeIndex.shape[0] != 2)
            throw new ArgumentException($"prior edges must be [2, E], got [{string.Join(", ", EdgeIndex.shape)}]");
        if (EdgeIndex.numel() > 0 && (EdgeIndex.min().item<long>() < 0 || EdgeIndex.max().item<long>() >= NodeCount))
            throw new ArgumentException($"prior edges name words outside 0..{NodeCount - 1}");
    }

    /// <summary>
    /// GCNConv's normalisation: existing self-loops dropped, one weight-1 loop per node appended, then
    /// D^−½ (A + I) D^−½ with degrees counted at the target (duplicate edges count twice).
    /// Returns (edges [2, E'], weights [E']).
    /// </summary>
    public (Tensor Edges, Tensor Weights) Normalized()
    {
        using var scope = NewDisposeScope();
        var n = NodeCount;
        var edges = EdgeIndex.to_type(ScalarType.Int64);
        var keep = edges[0].ne(edges[1]);
        var loops = arange(Scalars.Of(n), ScalarType.Int64, edges.device);
        var all = cat([edges.index_select(1, keep.nonzero().view(-1)), stack([loops, loops])], 1);
        var weights = ones(all.shape[1], ScalarType.Float32, edges.device);
        var degree = zeros(n, ScalarType.Float32, edges.device).index_add_(0, all[1], weights, Scalars.One);
        var inv = degree.pow(Scalars.Of(-0.5));
        inv = inv.masked_fill(inv.isinf(), Scalars.Of(0.0));
        var norm = inv.index_select(0, all[0]) * weights * inv.index_select(0, all[1]);
        return (scope.MoveToOuter(all), scope.MoveToOuter(norm));
    }

    public void Dispose()
    {
        Features.Dispose();
        EdgeIndex.Dispose();
    }
}
