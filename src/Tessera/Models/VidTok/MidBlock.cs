using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>The bottleneck stage: 3-D residual block, per-frame attention, 3-D residual block. Keys: block_1, attn_1, block_2.</summary>
internal sealed class MidBlock : StreamModule
{
    private readonly StreamModule block_1;
    private readonly StreamModule attn_1;
    private readonly StreamModule block_2;

    internal MidBlock(VidTokLayers layers, long channels) : base(nameof(MidBlock))
    {
        block_1 = layers.VolumeBlock(channels);
        attn_1 = layers.Attention(channels);
        block_2 = layers.VolumeBlock(channels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, CausalCache cache)
    {
        using var a = block_1.forward(x, cache);
        using var b = attn_1.forward(a, cache);
        return block_2.forward(b, cache);
    }
}
