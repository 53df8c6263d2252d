using Tessera.Models.SweetTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>
/// Runs a <see cref="Transformer"/> slot by slot and checks every recorded residual increment (layers.i.slot),
/// intermediate output (#i) and return value against the reference activations.
/// </summary>
internal sealed class TransformerWalk(SweetTokGolden.Activations reference, Action<string, double> report)
{
    private const double Atol = 3e-4, Rtol = 1e-4;

    public Tensor Run(Transformer stack, string prefix, Tensor x, TransformerCall call, bool normalize = true)
    {
        var layers = stack.Layers;
        var hookIndex = 0;
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var slot = $"{prefix}.layers.{i}";
            if (layer.Peg is { } peg) x = Step(peg.forward(x, call.Shape!.Value), $"{slot}.0", x);
            if (layer.SelfAttention is { } attn) x = Step(attn.forward(x, null, call.IsSpatial), $"{slot}.1", x);
            if (layer.Window is { } window) x = Step(window.forward(x), $"{slot}.1", x);
            var context = call.Contexts is not null ? call.Contexts[i] : call.Context;
            if (layer.CrossAttention is { } cross && context is not null) x = Step(cross.forward(x, context), $"{slot}.2", x);
            x = Step(layer.FeedForward.forward(x), $"{slot}.3", x);

            if (call.Temporal is { } hook && hook.AfterLayers.Contains(i))
            {
                var s = call.Shape!.Value;
                var d = x.shape[^1];
                var perPosition = x.reshape(s.B, s.T, s.H * s.W, d).transpose(1, 2).reshape(s.B * s.H * s.W, s.T, d);
                var temporalPrefix = $"{prefix[..prefix.LastIndexOf('.')]}.dec_temporal_transformer.{hookIndex}";
                var y = Run(hook.Blocks[hookIndex], temporalPrefix, perPosition,
                    new TransformerCall(s, IsSpatial: false, Context: hook.Contexts[hookIndex]), normalize: false);
                x = y.reshape(s.B, s.H * s.W, s.T, d).transpose(1, 2).reshape(s.B * s.T, s.H * s.W, d);
                hookIndex++;
            }
            if (reference.Has($"{prefix}#{i}")) Check($"{prefix}#{i}", x);
        }
        var output = normalize ? stack.NormOut.forward(x) : x;
        if (reference.Has($"{prefix}#{layers.Count}")) Check($"{prefix}#{layers.Count}", output);
        if (reference.Has(prefix)) Check(prefix, output);
        return output;
    }

    private Tensor Step(Tensor increment, string path, Tensor x)
    {
        Check(path, increment);
        return increment + x;
    }

    public void Check(string path, Tensor actual) =>
        report(path, SweetTokGolden.AssertClose(reference[path], actual, path, Atol, Rtol));
}
