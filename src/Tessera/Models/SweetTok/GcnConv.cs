using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// torch_geometric's <c>GCNConv</c>: a bias-free linear map, a sum of neighbour messages weighted by the
/// normalised adjacency (source → target), then the bias. Keys: lin.weight, bias.
/// </summary>
internal sealed class GcnConv : nn.Module
{
    private readonly Linear lin;
    private readonly Parameter bias;

    public GcnConv(long inFeatures, long outFeatures) : base(nameof(GcnConv))
    {
        lin = nn.Linear(inFeatures, outFeatures, hasBias: false);
        bias = nn.Parameter(zeros(outFeatures));
        RegisterComponents();
    }

    /// <param name="x">Node features [n, in].</param>
    /// <param name="edges">Normalised edges [2, E] from <see cref="WordGraph.Normalized"/>.</param>
    /// <param name="weights">Their weights [E].</param>
    public Tensor forward(Tensor x, Tensor edges, Tensor weights)
    {
        using var scope = NewDisposeScope();
        var h = lin.forward(x);
        var messages = h.index_select(0, edges[0]) * weights.unsqueeze(1);
        var aggregated = zeros_like(h).index_add_(0, edges[1], messages, Scalars.One);
        return scope.MoveToOuter(aggregated.add(bias, Scalars.One));
    }
}

/// <summary>The quantiser's two-layer GCN (ReLU between; its dropout is off at inference). Keys: conv1, conv2.</summary>
internal sealed class Gcn : nn.Module
{
    private readonly GcnConv conv1;
    private readonly GcnConv conv2;

    public Gcn(long inFeatures, long hidden, long outFeatures) : base(nameof(Gcn))
    {
        conv1 = new GcnConv(inFeatures, hidden);
        conv2 = new GcnConv(hidden, outFeatures);
        RegisterComponents();
    }

    public GcnConv Conv1 => conv1;

    /// <summary>
    /// The refined node embeddings [n, out]. In training mode with a <paramref name="dropout"/> generator, dropout
    /// (p = 0.5, as the reference's F.dropout) acts between the layers, its mask drawn from that generator so a
    /// run is reproducible and resumable; otherwise none (eval).
    /// </summary>
    public Tensor forward(WordGraph graph, Generator? dropout = null)
    {
        using var scope = NewDisposeScope();
        var (edges, weights) = graph.Normalized();
        var hidden = nn.functional.relu(conv1.forward(graph.Features, edges, weights));
        if (training && dropout is not null)
            hidden = hidden * (rand(hidden.shape, generator: dropout) >= Scalars.Of(0.5)).to_type(hidden.dtype) * 2.0;
        return scope.MoveToOuter(conv2.forward(hidden, edges, weights));
    }
}
