using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Metrics.Backbones;

/// <summary>
/// An ImageNet convolutional trunk laid out like torchvision's <c>features</c> Sequential (keys
/// <c>features.{index}.weight/bias</c>), returning the activations after the last layer of each slice.
/// </summary>
internal abstract class LpipsFeatureNet : nn.Module<Tensor, Tensor[]>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> features;
    private readonly int[] _sliceEnds;

    /// <param name="layers">torchvision's <c>features</c> children in order (trailing parameter-free layers may be left out).</param>
    /// <param name="sliceEnds">exclusive end index of each slice; one output per slice.</param>
    /// <param name="channels">channels of each slice's output.</param>
    /// <param name="name">The module name.</param>
    protected LpipsFeatureNet(string name, IEnumerable<nn.Module<Tensor, Tensor>> layers, int[] sliceEnds, int[] channels) : base(name)
    {
        features = new ModuleList<nn.Module<Tensor, Tensor>>(layers.ToArray());
        if (sliceEnds.Length != channels.Length || sliceEnds[^1] > features.Count)
            throw new ArgumentException("slices do not fit the layers", nameof(sliceEnds));
        _sliceEnds = sliceEnds;
        Channels = channels;
        RegisterComponents();
    }

    /// <summary>Channels of the sliced outputs (the LPIPS heads' input widths).</summary>
    public IReadOnlyList<int> Channels { get; }

    /// <summary>Runs the trunk on [N, 3, H, W] (already scaled) and returns one activation per slice.</summary>
    public override Tensor[] forward(Tensor input)
    {
        var outputs = new Tensor[_sliceEnds.Length];
        var h = input;
        var layer = 0;
        for (var s = 0; s < _sliceEnds.Length; s++)
        {
            for (; layer < _sliceEnds[s]; layer++) h = features[layer].call(h);
            outputs[s] = h;
        }
        return outputs;
    }

    protected static nn.Module<Tensor, Tensor> Conv(int cin, int cout, int kernel, int stride = 1, int padding = 0)
        => new Nn.TailSafeConvLayer(nn.Conv2d(cin, cout, kernel, stride: stride, padding: padding));
}
