using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>
/// Single-head self-attention among the H·W positions of each frame (frames act as the head axis),
/// scale 1/√C, with 1×1×1 projections and a residual. Keys: norm.norm.* (or norm.* with groupnorm), q, k, v, proj_out.
/// </summary>
internal sealed class AttnBlock : StreamModule
{
    private readonly nn.Module<Tensor, Tensor> norm;
    private readonly StreamModule q;
    private readonly StreamModule k;
    private readonly StreamModule v;
    private readonly StreamModule proj_out;

    public AttnBlock(long channels, ConvFactory conv, NormFactory normFactory) : base(nameof(AttnBlock))
    {
        norm = normFactory(channels);
        q = conv(channels, channels, 1);
        k = conv(channels, channels, 1);
        v = conv(channels, channels, 1);
        proj_out = conv(channels, channels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, CausalCache cache)
    {
        long b = x.shape[0], c = x.shape[1], t = x.shape[2], hgt = x.shape[3], wid = x.shape[4];
        Tensor attended;
        using (var h = norm.forward(x))
        using (var qh = Tokens(q.forward(h, cache)))
        using (var kh = Tokens(k.forward(h, cache)))
        using (var vh = Tokens(v.forward(h, cache)))
        using (var o = nn.functional.scaled_dot_product_attention(qh, kh, vh))
        using (var frames = o.reshape(b, t, hgt, wid, c))
            // [B, T, H·W, C] -> [B, C, T, H, W]
            attended = frames.permute(0, 4, 1, 2, 3);
        Tensor output;
        using (attended)
            output = proj_out.forward(attended, cache).add_(x, Scalars.One);
        ForwardTrace.Record(this, x, output);
        return output;

        // [B, C, T, H, W] -> [B, T, H·W, C]
        Tensor Tokens(Tensor y)
        {
            using (y)
            using (var channelsLast = y.permute(0, 2, 3, 4, 1))
                return channelsLast.reshape(b, t, hgt * wid, c);
        }
    }
}
