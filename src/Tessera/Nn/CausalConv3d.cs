using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>
/// VidTok's CausalConv3d/CausalConv1d: pads only the past in time (kT − strideT frames), pads space
/// symmetrically with zeros, then convolves. Child <c>conv</c> holds the official weight shape.
/// </summary>
internal sealed class CausalConv3d : StreamModule
{
    private readonly Conv conv;
    private readonly int timePad;
    private readonly CausalPadding padding;

    public CausalConv3d(long inChannels, long outChannels, int kernel, CausalPadding padding,
        KernelAxes axes = KernelAxes.Full3d, long timeStride = 1) : base(nameof(CausalConv3d))
    {
        var spatialPad = axes == KernelAxes.Temporal1d ? 0 : (kernel - 1) / 2;
        conv = new Conv(inChannels, outChannels, kernel, axes, (timeStride, 1, 1), (0, spatialPad, spatialPad));
        this.padding = padding;
        timePad = (int)(kernel - timeStride);
        RegisterComponents();
    }

    public Conv Conv => conv;

    public override Tensor forward(Tensor x, CausalCache cache)
    {
        using var padded = CausalTimePadding.Prepend(this, x, timePad, padding, cache);
        return conv.forward(padded, cache);
    }
}
