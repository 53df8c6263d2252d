using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// One layer of a <see cref="Transformer"/>: the reference's 4-slot list [PEG, self-attention or window attention,
/// cross-attention, FF]. Empty slots are absent but keep their index in the keys (layers.i.1.*, layers.i.3.*).
/// </summary>
internal sealed class TransformerLayer : nn.Module
{
    public TransformerLayer(TransformerSpec spec, char kind) : base(nameof(TransformerLayer))
    {
        Kind = kind;
        switch (kind)
        {
            case 't':
                if (spec.Peg) Peg = new Peg(spec.Dim, spec.PegCausal);
                SelfAttention = new Attention(spec.Dim, spec.DimHead, spec.Heads, spec.Causal, 0, normContext: false, spec.SpatialPos);
                if (spec.HasCrossAttn) CrossAttention = CrossAttentionFor(spec);
                break;
            case 'w':
                Window = new WindowAttention(spec.Dim, spec.WindowSize, spec.Heads);
                break;
            case 'c':
                if (spec.HasCrossAttn) CrossAttention = CrossAttentionFor(spec);
                break;
            default:
                throw new ConfigException($"transformer block '{kind}' is not supported (only 't', 'w' and 'c')");
        }
        FeedForward = new FeedForward(spec.Dim, spec.FfMult);

        if (Peg is not null) register_module("0", Peg);
        if (SelfAttention is not null) register_module("1", SelfAttention);
        if (Window is not null) register_module("1", Window);
        if (CrossAttention is not null) register_module("2", CrossAttention);
        register_module("3", FeedForward);
    }

    // Children are registered by hand under the reference's names; no field reflection on top.
    protected override void RegisterComponents() { }

    public char Kind { get; }
    public Peg? Peg { get; }
    public Attention? SelfAttention { get; }
    public WindowAttention? Window { get; }
    public Attention? CrossAttention { get; }
    public FeedForward FeedForward { get; }

    private static Attention CrossAttentionFor(TransformerSpec spec) =>
        new(spec.Dim, spec.DimHead, spec.Heads, causal: false, spec.AttnNumNullKv, normContext: true, SpatialPosition.None);

    /// <summary>The layer's update of the stream: PEG, attention, cross-attention (when given a context), FF, each residual.</summary>
    public Tensor forward(Tensor x, VideoShape? shape, Tensor? context, bool isSpatial)
    {
        using var scope = NewDisposeScope();
        if (Peg is not null) x = Peg.forward(x, shape ?? throw new ArgumentException("a PEG layer needs the video shape")).add(x, Scalars.One);
        if (SelfAttention is not null) x = SelfAttention.forward(x, null, isSpatial).add(x, Scalars.One);
        else if (Window is not null) x = Window.forward(x).add(x, Scalars.One);
        if (CrossAttention is not null && context is not null) x = CrossAttention.forward(x, context).add(x, Scalars.One);
        x = FeedForward.forward(x).add(x, Scalars.One);
        return scope.MoveToOuter(x);
    }
}
