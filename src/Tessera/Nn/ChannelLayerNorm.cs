using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>
/// VidTok's <c>LayerNorm</c> wrapper: a LayerNorm over the channel axis (dim 1) at every position,
/// whatever the layout. Its only child is <c>norm</c>, so the keys are <c>norm.weight</c>/<c>norm.bias</c>.
/// </summary>
internal sealed class ChannelLayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm;

    public ChannelLayerNorm(long channels, double eps = 1e-6) : base(nameof(ChannelLayerNorm))
    {
        norm = nn.LayerNorm(channels, eps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var channelsLast = Layout.ChannelsLast(x);
        using var normed = norm.forward(channelsLast);
        return Layout.ChannelsFirst(normed);
    }
}
