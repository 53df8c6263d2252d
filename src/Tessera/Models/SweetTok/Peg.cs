using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>[B, T, H, W] of a token stack: how a PEG reads its tokens back into a video.</summary>
internal readonly record struct VideoShape(long B, long T, long H, long W);

/// <summary>
/// Position-encoding generator: a depthwise 3×3×3 conv over the token video, zero-padded (time 2,0 when causal,
/// else 1,1). The caller adds the residual.
/// </summary>
internal sealed class Peg : nn.Module<Tensor, VideoShape, Tensor>
{
    private readonly Conv3d dsconv;
    private readonly bool causal;

    public Peg(long dim, bool causal) : base(nameof(Peg))
    {
        this.causal = causal;
        dsconv = nn.Conv3d(dim, dim, 3, groups: dim);
        RegisterComponents();
    }

    /// <summary>
    /// <paramref name="x"/> is [N, L, D] with N·L = B·T·H·W. It is reinterpreted as [B, T, H, W, D] in its logical
    /// element order whatever its layout: temporal stacks ((b h w), t) are convolved on scrambled axes, exactly as the
    /// pretrained weights were trained.
    /// </summary>
    public override Tensor forward(Tensor x, VideoShape shape)
    {
        using var scope = NewDisposeScope();
        var video = x.reshape(shape.B, shape.T, shape.H, shape.W, x.shape[^1]).permute(0, 4, 1, 2, 3);
        long front = causal ? 2 : 1, back = causal ? 0 : 1;
        var padded = nn.functional.pad(video, [1, 1, 1, 1, front, back]);
        var y = dsconv.forward(padded).permute(0, 2, 3, 4, 1).reshape(x.shape);
        return scope.MoveToOuter(y);
    }
}
