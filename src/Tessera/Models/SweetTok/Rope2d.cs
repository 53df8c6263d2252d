using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// OmniTokenizer's 2-D rotary embedding. A sequence of N tokens is read as rows of ⌊√N⌋ (x = n mod ⌊√N⌋,
/// y = n div ⌊√N⌋). Each head's D dims form D/2 consecutive pairs; pair 2k turns by x·f_k and pair 2k+1 by y·f_k,
/// with f_k = 10000^(−4k/D), k &lt; D/4. Applied in fp32 to q and k laid out [B, N, heads, D].
/// </summary>
internal static class Rope2d
{
    private const double Theta = 10000.0;

    /// <summary>Rotation angles [N, D/2]; computed like the reference (float32 powers and outer products).</summary>
    public static Tensor Angles(long n, long headDim, Device device)
    {
        using var scope = NewDisposeScope();
        var side = (long)Math.Sqrt(n);
        var pos = arange(Scalars.Of(n), ScalarType.Int64, device);
        var x = pos.remainder(Scalars.Of(side)).to_type(ScalarType.Float32);
        var y = pos.div(Scalars.Of(side), rounding_mode: RoundingMode.floor).to_type(ScalarType.Float32);
        var exponents = arange(Scalars.Of(0), Scalars.Of(headDim), Scalars.Of(4), ScalarType.Int64, device)[..(int)(headDim / 4)].to_type(ScalarType.Float32).div(Scalars.Of(headDim));
        var freqs = full_like(exponents, Scalars.Of(Theta)).pow(exponents).reciprocal();
        var angles = stack([outer(x, freqs), outer(y, freqs)], -1).reshape(n, headDim / 2);
        return scope.MoveToOuter(angles);
    }

    /// <summary>Rotates <paramref name="t"/> [B, N, heads, D] by <paramref name="angles"/> [N, D/2].</summary>
    public static Tensor Apply(Tensor t, Tensor angles)
    {
        using var scope = NewDisposeScope();
        var shape = t.shape;
        var pairs = t.to_type(ScalarType.Float32).reshape(shape[0], shape[1], shape[2], shape[3] / 2, 2);
        var re = pairs.select(-1, 0);
        var im = pairs.select(-1, 1);
        var cos = angles.cos().view(1, shape[1], 1, shape[3] / 2);
        var sin = angles.sin().view(1, shape[1], 1, shape[3] / 2);
        var rotated = stack([re * cos - im * sin, (re * sin).add(im * cos, Scalars.One)], -1).reshape(shape).to_type(t.dtype);
        return scope.MoveToOuter(rotated);
    }
}
