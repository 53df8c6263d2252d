using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// Swin window attention without shift on a ⌊√N⌋² token grid: q, k and v all from <c>norm(x)</c>, scale
/// (dim/heads)^−½, plus the relative-position bias looked up from a (2w−1)²×heads table. Keys: norm,
/// relative_position_bias_table, relative_position_index (a persistent int64 buffer), qkv, proj.
/// </summary>
internal sealed class WindowAttention : nn.Module<Tensor, Tensor>
{
    private readonly GammaLayerNorm norm;
    private readonly Parameter relative_position_bias_table;
    private readonly Tensor relative_position_index;
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly long window;
    private readonly long heads;
    private readonly double scale;

    public WindowAttention(long dim, long windowSize, long heads) : base(nameof(WindowAttention))
    {
        window = windowSize;
        this.heads = heads;
        scale = Math.Pow(dim / heads, -0.5);
        norm = new GammaLayerNorm(dim);
        relative_position_bias_table = nn.Parameter(zeros((2 * windowSize - 1) * (2 * windowSize - 1), heads));
        relative_position_index = RelativeIndex(windowSize);
        qkv = nn.Linear(dim, 3 * dim, hasBias: false);
        proj = nn.Linear(dim, dim);
        register_module(nameof(norm), norm);
        register_parameter(nameof(relative_position_bias_table), relative_position_bias_table);
        register_buffer(nameof(relative_position_index), relative_position_index);
        register_module(nameof(qkv), qkv);
        register_module(nameof(proj), proj);
    }

    // Children are registered by hand under the reference's names; no field reflection on top.
    protected override void RegisterComponents() { }

    /// <summary>Index into the bias table for every (query, key) pair of a w×w window, row-major positions.</summary>
    public static Tensor RelativeIndex(long w)
    {
        var area = w * w;
        var index = new long[area * area];
        for (long a = 0; a < area; a++)
            for (long c = 0; c < area; c++)
                index[a * area + c] = (a / w - c / w + w - 1) * (2 * w - 1) + (a % w - c % w + w - 1);
        return tensor(index, [area, area]);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        var side = (long)Math.Sqrt(n);
        long perSide = side / window, area = window * window;
        var windows = norm.forward(x).view(b, perSide, window, perSide, window, c)
            .permute(0, 1, 3, 2, 4, 5).reshape(-1, area, c);
        var bw = windows.shape[0];
        var parts = qkv.forward(windows).reshape(bw, area, 3, heads, c / heads).permute(2, 0, 3, 1, 4);
        var q = parts[0] * scale;
        var attn = q.matmul(parts[1].transpose(-2, -1));
        var bias = relative_position_bias_table.index_select(0, relative_position_index.view(-1))
            .view(area, area, -1).permute(2, 0, 1);
        attn = attn.add(bias.unsqueeze(0), Scalars.One).softmax(-1);
        var merged = proj.forward(attn.matmul(parts[2]).transpose(1, 2).reshape(bw, area, c));
        var y = merged.view(b, perSide, perSide, window, window, c).permute(0, 1, 3, 2, 4, 5).reshape(b, n, c);
        return scope.MoveToOuter(y);
    }
}
