using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>Spatial ÷2 per frame: zero-pad right and bottom by one, then a 3×3 stride-2 conv. Key: conv.*</summary>
internal sealed class Downsample : StreamModule
{
    private readonly Conv conv;

    public Downsample(long channels) : base(nameof(Downsample))
    {
        conv = new Conv(channels, channels, 3, KernelAxes.Spatial2d, stride: (1, 2, 2));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, CausalCache cache)
    {
        using var padded = nn.functional.pad(x, [0, 1, 0, 1]);
        return conv.forward(padded, cache);
    }
}
