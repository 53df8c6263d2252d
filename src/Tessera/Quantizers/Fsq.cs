using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Quantizers;

/// <summary>
/// Finite Scalar Quantization (Mentzer et al. 2023, arXiv:2309.15505), with VidTok's arithmetic:
/// bound by a shifted tanh, round half-to-even, scale to codes in [-1, 1), and mixed-radix indices whose
/// least significant digit is channel 0. Holds no parameters.
/// </summary>
internal sealed class Fsq
{
    private readonly int[] levels;
    private readonly long[] basis;

    public Fsq(IReadOnlyList<int> levels)
    {
        if (levels.Count == 0 || levels.Any(l => l < 2))
            throw new ArgumentException($"FSQ levels must be at least 2 each, got [{string.Join(", ", levels)}]");
        this.levels = levels.ToArray();
        basis = new long[this.levels.Length];
        long b = 1;
        for (var i = 0; i < basis.Length; i++)
        {
            basis[i] = b;
            b *= this.levels[i];
            if (b > int.MaxValue)
                throw new ArgumentException($"FSQ levels [{string.Join(", ", levels)}] make a codebook larger than int32 indices allow");
        }
        CodebookSize = b;
    }

    public IReadOnlyList<int> Levels => levels;
    public int Dim => levels.Length;
    public long CodebookSize { get; }

    /// <summary>
    /// Quantises a latent [B, d, T, H, W] (any float dtype; computed in float32).
    /// Returns codes [B, d, T, H, W] float32 with values k / (L div 2), and token ids [B, T, H, W] int32.
    /// Gradients pass straight through the rounding.
    /// </summary>
    public (Tensor Codes, Tensor Indices) Quantize(Tensor z)
    {
        using var scope = NewDisposeScope();
        CheckChannels(z, "latent");
        var zl = Layout.ChannelsLast(z.to_type(ScalarType.Float32));       // [B, T, H, W, d]
        var bounded = Bound(zl);
        var rounded = bounded.add((bounded.round() - bounded).detach(), Scalars.One);
        var codesLast = rounded / HalfWidth(z.device);
        var indices = CodesToIndicesLast(codesLast);
        var codes = Layout.ChannelsFirst(codesLast);
        return (codes.MoveToOuterDisposeScope(), indices.MoveToOuterDisposeScope());
    }

    /// <summary>tanh(z + shift)·half_l − offset with half_l = (L−1)(1+ε)/2, so round() lands on L values.</summary>
    public Tensor Bound(Tensor zChannelsLast, double eps = 1e-3)
    {
        using var scope = NewDisposeScope();
        var lv = LevelTensor(zChannelsLast.device);
        var halfL = (lv - 1) * (1 + eps) / 2;
        var offset = where(lv.remainder(Scalars.Of(2)) == Scalars.Of(0), tensor(0.5f, device: zChannelsLast.device), tensor(0.0f, device: zChannelsLast.device));
        var shift = (offset / halfL).atanh();
        return (zChannelsLast.add(shift, Scalars.One).tanh() * halfL - offset).MoveToOuterDisposeScope();
    }

    /// <summary>Token ids [B, T, H, W] int32 from codes [B, d, T, H, W].</summary>
    public Tensor CodesToIndices(Tensor codes)
    {
        using var scope = NewDisposeScope();
        CheckChannels(codes, "codes");
        return CodesToIndicesLast(Layout.ChannelsLast(codes)).MoveToOuterDisposeScope();
    }

    /// <summary>Codes [B, d, T, H, W] float32 from token ids [B, T, H, W] (any integer dtype).</summary>
    public Tensor IndicesToCodes(Tensor indices)
    {
        using var scope = NewDisposeScope();
        var idx = indices.to_type(ScalarType.Int64).unsqueeze(-1);
        var digits = idx.div(tensor(basis, device: indices.device), RoundingMode.floor).remainder(tensor(levels.Select(l => (long)l).ToArray(), device: indices.device));
        var half = HalfWidth(indices.device);
        var codes = (digits.to_type(ScalarType.Float32) - half) / half;
        return Layout.ChannelsFirst(codes).MoveToOuterDisposeScope();
    }

    private Tensor CodesToIndicesLast(Tensor codesLast)
    {
        var half = HalfWidth(codesLast.device);
        var shifted = (codesLast * half).add(half, Scalars.One);
        var weighted = shifted * tensor(basis.Select(b => (float)b).ToArray(), device: codesLast.device);
        return weighted.sum(-1).to_type(ScalarType.Int32);
    }

    private Tensor LevelTensor(Device device) => tensor(levels, device: device);
    private Tensor HalfWidth(Device device) => tensor(levels.Select(l => (float)(l / 2)).ToArray(), device: device);

    private void CheckChannels(Tensor t, string what)
    {
        if (t.dim() < 2 || t.shape[1] != Dim)
            throw new InvalidInputException($"FSQ with {Dim} levels expects {what} with {Dim} channels in dim 1, got shape [{string.Join(", ", t.shape)}]");
    }
}
