using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// Temporal blocks run inside a spatial stack (the SweetTok decoder): after each layer listed in
/// <see cref="AfterLayers"/>, the stream is regrouped per grid position and passed through the next block of
/// <see cref="Blocks"/>, cross-attending to the matching entry of <see cref="Contexts"/>.
/// </summary>
internal sealed record TemporalHook(IReadOnlyList<Transformer> Blocks, IReadOnlyList<Tensor> Contexts, IReadOnlyCollection<int> AfterLayers);

/// <summary>
/// How one stack is called: the token video shape (for PEG and regrouping), whether rotary positions apply, and
/// the cross-attention context — one tensor for every layer, or one per layer (<c>multi_cross</c>; layer i reads
/// entry i, the count advancing on every layer, window layers included).
/// </summary>
internal readonly record struct TransformerCall(VideoShape? Shape = null, bool IsSpatial = true, Tensor? Context = null,
    IReadOnlyList<Tensor>? Contexts = null, TemporalHook? Temporal = null);

/// <summary>OmniTokenizer's block-string <c>Transformer</c>. Keys: layers.i.slot.*, norm_out.</summary>
internal sealed class Transformer : nn.Module
{
    private readonly ModuleList<TransformerLayer> layers;
    private readonly GammaLayerNorm norm_out;

    public Transformer(TransformerSpec spec) : base(nameof(Transformer))
    {
        Spec = spec;
        layers = new ModuleList<TransformerLayer>(spec.Block.Select(kind => new TransformerLayer(spec, kind)).ToArray());
        norm_out = new GammaLayerNorm(spec.Dim);
        RegisterComponents();
    }

    public TransformerSpec Spec { get; }
    public IReadOnlyList<TransformerLayer> Layers => [.. layers];
    public GammaLayerNorm NormOut => norm_out;

    /// <summary>The stream after the last layer, through <c>norm_out</c> unless <paramref name="normalize"/> is false.</summary>
    public Tensor forward(Tensor x, TransformerCall call, bool normalize = true)
    {
        using var scope = NewDisposeScope();
        var y = Run(x, call, null);
        return scope.MoveToOuter(normalize ? norm_out.forward(y) : y);
    }

    /// <summary><c>return_inter</c>: the un-normalised stream after every layer, then <c>norm_out</c> of the last (depth + 1 tensors).</summary>
    public Tensor[] ForwardInter(Tensor x, TransformerCall call)
    {
        using var scope = NewDisposeScope();
        var inter = new List<Tensor>(layers.Count + 1);
        var y = Run(x, call, inter);
        inter.Add(norm_out.forward(y));
        foreach (var t in inter) scope.MoveToOuter(t);
        return inter.ToArray();
    }

    private Tensor Run(Tensor x, TransformerCall call, List<Tensor>? inter)
    {
        var hookIndex = 0;
        for (var i = 0; i < layers.Count; i++)
        {
            var context = call.Contexts is not null ? call.Contexts[i] : call.Context;
            using (var layerScope = NewDisposeScope())
            {
                var y = layers[i].forward(x, call.Shape, context, call.IsSpatial);
                if (call.Temporal is { } hook && hook.AfterLayers.Contains(i))
                {
                    y = RunTemporal(y, call.Shape ?? throw new ArgumentException("temporal blocks need the video shape"),
                        hook.Blocks[hookIndex], hook.Contexts[hookIndex]);
                    hookIndex++;
                }
                x = layerScope.MoveToOuter(y);
            }
            inter?.Add(x);
        }
        return x;
    }

    // (b t) (h w) d -> (b h w) t d, one temporal block, and back.
    private static Tensor RunTemporal(Tensor x, VideoShape s, Transformer block, Tensor context)
    {
        var d = x.shape[^1];
        var perPosition = x.reshape(s.B, s.T, s.H * s.W, d).transpose(1, 2).reshape(s.B * s.H * s.W, s.T, d);
        var y = block.forward(perPosition, new TransformerCall(s, IsSpatial: false, Context: context), normalize: false);
        return y.reshape(s.B, s.H * s.W, s.T, d).transpose(1, 2).reshape(s.B * s.T, s.H * s.W, d);
    }
}
