namespace Tessera.Models.SweetTok;

/// <summary>
/// The constructor arguments of an OmniTokenizer <c>Transformer</c>. <see cref="Block"/> holds one character per
/// layer: <c>'t'</c> (PEG, self-attention, cross-attention, FF), <c>'w'</c> (window attention, FF) or <c>'c'</c>
/// (cross-attention, FF).
/// </summary>
internal sealed record TransformerSpec(long Dim, string Block, long DimHead, long Heads)
{
    public double FfMult { get; init; } = 4.0;
    public bool Peg { get; init; }
    public bool PegCausal { get; init; }
    public bool Causal { get; init; }
    public bool HasCrossAttn { get; init; }
    public int AttnNumNullKv { get; init; } = 2;
    public long WindowSize { get; init; } = 4;
    public SpatialPosition SpatialPos { get; init; } = SpatialPosition.Rel;

    public int Depth => Block.Length;
}
