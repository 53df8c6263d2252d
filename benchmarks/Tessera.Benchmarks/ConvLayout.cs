using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Tessera.Benchmarks;

/// <summary>
/// One level-0 block pair of the VidTok encoder (a spatial residual block, then a temporal one:
/// LayerNorm over channels → SiLU → 3×3 conv → LayerNorm → SiLU → 3×3 conv, plus the residual; then the
/// same with 3-tap temporal convs) computed four ways with the same weights:
///   (a) Tessera's layout: conv3d with (1,3,3) and (3,1,1) kernels on [B, C, T, H, W], LayerNorm via permute;
///   (b) the reference's layout (baseline): fold to [(B·T), C, H, W] for conv2d and [(B·H·W), C, T] for conv1d;
///   (c) (a) with channels-last-3d activations ([B, T, H, W, C] in memory), so the LayerNorm permute is free;
///   (d) (a) with LayerNorm computed over dim 1 in place of the permute (mean/var reductions).
/// TorchSharp 0.107 exposes no memory_format argument, so (c) gets channels-last-3d strides by permuting a
/// contiguous [B, T, H, W, C] tensor; libtorch picks its convolution path from those strides.
/// </summary>
public static class ConvLayout
{
    private const double Eps = 1e-6;

    public static int Run(Options options)
    {
        var channels = options.Int("channels", 128);
        var frames = options.Int("frames", 17);
        var size = options.Int("size", 64);
        var warmup = options.Int("warmup", 1);
        var iters = options.Int("iters", 3);
        var threads = options.Int("threads", 0);
        options.RejectUnknown();

        Measure.PrintHeader("conv-layout", threads);
        manual_seed(0);
        using var grad = no_grad();
        var w = new Weights(channels);
        using var x = randn([1L, channels, frames, size, size]);
        using var xLast = ChannelsLast3d(x);
        Console.WriteLine($"input      {Measure.Shape(x)} float32, one spatial + one temporal residual block, warm-up {warmup}, measured {iters} (median)");

        using var reference = Folded(x, w);
        var variants = new (string Name, Func<Tensor> Block)[]
        {
            ("(b) fold to conv2d/conv1d (reference)", () => Folded(x, w)),
            ("(a) conv3d (1,3,3)/(3,1,1), LN permute", () => Volume(x, w, PermuteNorm)),
            ("(c) (a) on channels-last-3d", () => Volume(xLast, w, PermuteNorm)),
            ("(d) (a) with LN over dim 1", () => Volume(x, w, Dim1Norm)),
        };
        double? baseline = null;
        foreach (var (name, block) in variants)
        {
            using (var check = block())
            {
                var diff = (check - reference).abs().max().item<float>();
                if (diff > 1e-3) throw new InvalidOperationException($"{name} differs from the reference by {diff}");
            }
            var seconds = Measure.Seconds(() => { using var s = NewDisposeScope(); block(); }, warmup, iters);
            baseline ??= seconds;
            var role = baseline == seconds ? "baseline " : "candidate";
            Console.WriteLine($"{role}  {name,-40} {seconds * 1e3,8:F0} ms/block pair   ratio {baseline.Value / seconds:F2}x vs (b)");
        }
        Console.WriteLine("ratio      baseline time / variant time (>1: faster than the reference layout)");
        return 0;
    }

    private sealed class Weights(long c)
    {
        public readonly Tensor[] Spatial = [randn(c, c, 3, 3) * 0.03, randn(c, c, 3, 3) * 0.03];
        public readonly Tensor[] Temporal = [randn(c, c, 3) * 0.05, randn(c, c, 3) * 0.05];
        public readonly Tensor Bias = randn(c) * 0.01;
        public readonly Tensor Gamma = ones(c), Beta = zeros(c);
        public readonly long C = c;
    }

    private static Tensor ChannelsLast3d(Tensor x) => x.permute(0, 2, 3, 4, 1).contiguous().permute(0, 4, 1, 2, 3);

    // (a), (c), (d): everything stays [B, C, T, H, W]; the layout of x decides the memory format.
    private static Tensor Volume(Tensor x, Weights w, Func<Tensor, Weights, Tensor> norm)
    {
        var s = Residual(x, w, norm, h => F.conv3d(h, w.Spatial[0].unsqueeze(2), w.Bias, padding: [0, 1, 1]),
                                     h => F.conv3d(h, w.Spatial[1].unsqueeze(2), w.Bias, padding: [0, 1, 1]));
        return Residual(s, w, norm, h => F.conv3d(h, w.Temporal[0].unsqueeze(-1).unsqueeze(-1), w.Bias, padding: [1, 0, 0]),
                                    h => F.conv3d(h, w.Temporal[1].unsqueeze(-1).unsqueeze(-1), w.Bias, padding: [1, 0, 0]));
    }

    // (b): the reference rearranges into a batch of frames, then a batch of pixel time series.
    private static Tensor Folded(Tensor x, Weights w)
    {
        long b = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], wd = x.shape[4];
        var frames = x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, wd);
        var s = Residual(frames, w, PermuteNorm, y => F.conv2d(y, w.Spatial[0], w.Bias, padding: [1, 1]),
                                                 y => F.conv2d(y, w.Spatial[1], w.Bias, padding: [1, 1]));
        var series = s.reshape(b, t, c, h, wd).permute(0, 3, 4, 2, 1).reshape(b * h * wd, c, t);
        var r = Residual(series, w, PermuteNorm, y => F.conv1d(y, w.Temporal[0], w.Bias, padding: 1),
                                                 y => F.conv1d(y, w.Temporal[1], w.Bias, padding: 1));
        return r.reshape(b, h, wd, c, t).permute(0, 3, 4, 1, 2).contiguous();
    }

    private static Tensor Residual(Tensor x, Weights w, Func<Tensor, Weights, Tensor> norm, Func<Tensor, Tensor> conv1, Func<Tensor, Tensor> conv2)
    {
        var h = conv1(F.silu(norm(x, w)));
        return conv2(F.silu(norm(h, w))).add_(x);
    }

    private static Tensor PermuteNorm(Tensor x, Weights w)
    {
        var order = Enumerable.Range(0, (int)x.dim()).Select(i => (long)i).ToArray();
        (order[1], order[^1]) = (order[^1], order[1]);
        return F.layer_norm(x.permute(order), [w.C], w.Gamma, w.Beta, Eps).permute(order);
    }

    private static Tensor Dim1Norm(Tensor x, Weights w)
    {
        var (variance, mean) = var_mean(x, [1L], unbiased: false, keepdim: true);
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[1] = w.C;
        return (x - mean).mul_(variance.add_(Eps).rsqrt_()).mul_(w.Gamma.view(shape)).add_(w.Beta.view(shape));
    }
}
