using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// OmniTokenizer's EMA <c>Codebook</c> as buffers (embeddings, N, z_avg, codebook_usage). SweetTok's stage-2
/// path reads only <c>embeddings</c>; the others are training state kept so checkpoints load strictly.
/// </summary>
internal sealed class ProxyCodebook : nn.Module
{
    private readonly Tensor embeddings;

    public ProxyCodebook(long codes, long codeDim) : base(nameof(ProxyCodebook))
    {
        embeddings = randn(codes, codeDim);
        register_buffer(nameof(embeddings), embeddings);
        register_buffer("N", zeros(codes));
        register_buffer("z_avg", embeddings.clone());
        register_buffer("codebook_usage", zeros(codes));
    }

    // Children are registered by hand under the reference's names; no field reflection on top.
    protected override void RegisterComponents() { }

    /// <summary>[K, code dim].</summary>
    public Tensor Embeddings => embeddings;

    /// <summary>Code ids [B, T', h, w] → their vectors [B, code dim, T', h, w].</summary>
    public Tensor Lookup(Tensor codes)
    {
        using var scope = NewDisposeScope();
        var vectors = embeddings.index_select(0, codes.reshape(-1).to_type(ScalarType.Int64))
            .view(codes.shape[0], codes.shape[1], codes.shape[2], codes.shape[3], -1).permute(0, 4, 1, 2, 3);
        return scope.MoveToOuter(vectors.contiguous());
    }
}
