using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>Builds one convolution of a residual block: (in channels, out channels, kernel) → layer.</summary>
internal delegate StreamModule ConvFactory(long inChannels, long outChannels, int kernel);

/// <summary>Builds one normalisation layer over the given channel count.</summary>
internal delegate nn.Module<Tensor, Tensor> NormFactory(long channels);

/// <summary>
/// Pre-activation residual block: norm1 → SiLU → conv1 → norm2 → SiLU → conv2, plus a 1×1 shortcut
/// when the width changes. The same tree serves VidTok's spatial ResnetBlock (Conv2d), its causal and
/// non-causal 3-D mid blocks and its temporal 1-D blocks; only the convolution kind differs.
/// Keys: norm1.norm.* (layernorm) or norm1.* (groupnorm), conv1.*, norm2.*, conv2.*, [nin_shortcut.*].
/// </summary>
internal sealed class ResnetBlock : StreamModule
{
    private readonly nn.Module<Tensor, Tensor> norm1;
    private readonly StreamModule conv1;
    private readonly nn.Module<Tensor, Tensor> norm2;
    private readonly StreamModule conv2;
    private readonly StreamModule? nin_shortcut;

    public ResnetBlock(long inChannels, long outChannels, ConvFactory conv, NormFactory norm, bool zeroInitLast = false) : base(nameof(ResnetBlock))
    {
        norm1 = norm(inChannels);
        conv1 = conv(inChannels, outChannels, 3);
        norm2 = norm(outChannels);
        conv2 = conv(outChannels, outChannels, 3);
        if (inChannels != outChannels)
            nin_shortcut = conv(inChannels, outChannels, 1);
        // VidTok zero-initialises the temporal blocks' conv2, so a fresh temporal block is the identity.
        if (zeroInitLast)
            foreach (var p in conv2.parameters()) using (no_grad()) p.zero_();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, CausalCache cache)
    {
        Tensor h1, h2;
        using (var n = norm1.forward(x))
        using (var a = Activations.SiluOfTemporary(n))
            h1 = conv1.forward(a, cache);
        Tensor n2;
        using (h1) n2 = norm2.forward(h1);
        using (n2)
        using (var a = Activations.SiluOfTemporary(n2))
            h2 = conv2.forward(a, cache);
        if (nin_shortcut is null)
            return h2.add_(x, Scalars.One);
        using var shortcut = nin_shortcut.forward(x, cache);
        return h2.add_(shortcut, Scalars.One);
    }
}
