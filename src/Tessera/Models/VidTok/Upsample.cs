using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>Spatial ×2 per frame: nearest-neighbour, then a 3×3 conv. Key: conv.*</summary>
internal sealed class Upsample : StreamModule
{
    private readonly Conv conv;

    public Upsample(long channels) : base(nameof(Upsample))
    {
        conv = new Conv(channels, channels, 3, KernelAxes.Spatial2d, padding: (0, 1, 1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, CausalCache cache)
    {
        using var up = nn.functional.interpolate(x, scale_factor: [1, 2, 2], mode: InterpolationMode.Nearest);
        return conv.forward(up, cache);
    }
}
