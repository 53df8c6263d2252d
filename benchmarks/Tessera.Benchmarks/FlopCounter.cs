using Tessera.Models.VidTok;
using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Benchmarks;

/// <summary>
/// Counts the multiply-adds of a real forward from its layers and the shapes they saw: every convolution (Tessera's
/// 3-D/2-D/1-D <c>Conv</c>, TorchSharp's Conv1d/2d/3d: weight elements per output channel × output elements), every
/// linear layer (in × out × rows) and the two matrix products of VidTok's attention (2 · B · T · (H·W)² · C).
/// Elementwise work (norms, activations, padding, interpolation, the FSQ rounding) is not counted: the figure is the
/// arithmetic a matrix engine could do, which is what "% of the matrix-product peak" compares against.
/// Tessera's layers report through <see cref="ForwardTrace"/> on the thread that runs them; TorchSharp's modules under
/// <c>root</c> through their forward hooks (which fire when they are invoked with <c>call</c>).
/// </summary>
public sealed class FlopCounter : IDisposable
{
    private readonly Dictionary<string, double> macs = new(StringComparer.Ordinal);
    private readonly IDisposable trace;
    private readonly List<Action> removers = [];

    public FlopCounter(nn.Module? root = null)
    {
        trace = ForwardTrace.Observe(Add);
        if (root is null) return;
        foreach (var module in root.named_modules().Select(m => m.module).Prepend(root))
        {
            if (module is Linear or Conv1d or Conv2d or Conv3d && module is nn.Module<Tensor, Tensor> hookable)
            {
                var remover = hookable.register_forward_hook((m, input, output) => { Add(m, input, output); return output; });
                removers.Add(remover.remove);
            }
        }
    }

    /// <summary>Multiply-adds counted so far.</summary>
    public double Macs => macs.Values.Sum();

    /// <summary>Floating-point operations counted so far (a multiply-add is two).</summary>
    public double Flops => 2 * Macs;

    /// <summary>Multiply-adds by layer kind (conv3d, conv2d, conv1d, linear, attention).</summary>
    public IReadOnlyDictionary<string, double> MacsByKind => macs;

    private void Add(nn.Module layer, Tensor input, Tensor output)
    {
        var (kind, count) = layer switch
        {
            Conv c => (ConvKind(c.Weight), PerOutput(c.Weight) * output.numel()),
            Conv1d c => ("conv1d", PerOutput(c.weight!) * output.numel()),
            Conv2d c => ("conv2d", PerOutput(c.weight!) * output.numel()),
            Conv3d c => ("conv3d", PerOutput(c.weight!) * output.numel()),
            Linear l => ("linear", (double)l.weight!.numel() * (input.numel() / input.shape[^1])),
            // QKᵀ and attention·V among the H·W positions of each frame.
            AttnBlock => ("attention", 2.0 * input.shape[0] * input.shape[2] * Math.Pow(input.shape[3] * input.shape[4], 2) * input.shape[1]),
            _ => ("", 0.0),
        };
        if (count > 0) macs[kind] = macs.GetValueOrDefault(kind) + count;
    }

    /// <summary>Multiply-adds per output element: the weight's elements for one output channel (in/groups × kernel taps).</summary>
    private static double PerOutput(Tensor weight) => (double)weight.numel() / weight.shape[0];

    private static string ConvKind(Tensor weight) => weight.dim() switch { 3 => "conv1d", 4 => "conv2d", _ => "conv3d" };

    public void Dispose()
    {
        trace.Dispose();
        foreach (var remove in removers) remove();
    }
}
