using Tessera.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Metrics.Fvd;

/// <summary>
/// TensorFlow-style "SAME" padding as pytorch-i3d computes it, per axis of size <c>s</c> with kernel <c>k</c>
/// and stride <c>d</c>: total <c>max(k − d, 0)</c> when <c>s</c> is a multiple of <c>d</c>, else
/// <c>max(k − s mod d, 0)</c>; the smaller half goes before, the larger after. Zeros are padded (also before max pooling).
/// </summary>
internal static class SamePadding
{
    public static long Total(long size, long kernel, long stride)
        => size % stride == 0 ? Math.Max(kernel - stride, 0) : Math.Max(kernel - size % stride, 0);

    /// <summary>Pads [B, C, T, H, W]; returns the input itself (not a copy) when nothing is padded.</summary>
    public static Tensor Apply(Tensor x, long[] kernel, long[] stride)
    {
        var pad = new long[6]; // F.pad order: W front/back, H front/back, T front/back
        for (int axis = 0; axis < 3; axis++)
        {
            long total = Total(x.shape[2 + axis], kernel[axis], stride[axis]);
            long front = total / 2;
            int slot = 2 * (2 - axis);
            pad[slot] = front;
            pad[slot + 1] = total - front;
        }
        return pad.All(p => p == 0) ? x : nn.functional.pad(x, pad);
    }
}

/// <summary>
/// pytorch-i3d's <c>Unit3D</c>: SAME padding, a Conv3d (bias-free unless asked) named
/// <c>conv3d</c>, an optional BatchNorm3d named <c>bn</c> (eps 0.001, momentum 0.01) and an optional ReLU.
/// </summary>
internal sealed class I3dUnit3d : nn.Module<Tensor, Tensor>
{
    private readonly TailSafeConvLayer conv3d;
    private readonly BatchNorm3d? bn;
    private readonly bool relu;
    private readonly long[] kernel;
    private readonly long[] stride;

    public I3dUnit3d(long inChannels, long outChannels, long[] kernel, long[]? stride = null,
        bool useBatchNorm = true, bool useBias = false, bool relu = true) : base(nameof(I3dUnit3d))
    {
        this.kernel = kernel;
        this.stride = stride ?? [1, 1, 1];
        this.relu = relu;
        conv3d = new TailSafeConvLayer(nn.Conv3d(inChannels, outChannels, (kernel[0], kernel[1], kernel[2]),
            stride: (this.stride[0], this.stride[1], this.stride[2]), bias: useBias));
        if (useBatchNorm) bn = nn.BatchNorm3d(outChannels, eps: 0.001, momentum: 0.01);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = conv3d.forward(SamePadding.Apply(x, kernel, stride));
        if (bn is not null) y = bn.forward(y);
        if (relu) y = nn.functional.relu(y);
        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>pytorch-i3d's <c>MaxPool3dSamePadding</c>: zero SAME padding, then max pooling without padding.</summary>
internal sealed class I3dMaxPoolSame : nn.Module<Tensor, Tensor>
{
    private readonly long[] kernel;
    private readonly long[] stride;

    public I3dMaxPoolSame(long[] kernel, long[] stride) : base(nameof(I3dMaxPoolSame))
    {
        this.kernel = kernel;
        this.stride = stride;
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return nn.functional.max_pool3d(SamePadding.Apply(x, kernel, stride), kernel, stride).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// An Inception block of I3D: branches <c>b0</c> (1×1×1), <c>b1a→b1b</c> (1×1×1 → 3×3×3),
/// <c>b2a→b2b</c> (1×1×1 → 3×3×3) and <c>b3a→b3b</c> (3×3×3 max pool, stride 1 → 1×1×1), concatenated on channels.
/// </summary>
internal sealed class I3dInceptionBlock : nn.Module<Tensor, Tensor>
{
    private readonly I3dUnit3d b0, b1a, b1b, b2a, b2b, b3b;
    private readonly I3dMaxPoolSame b3a;

    /// <param name="outs">The six widths: b0, b1a, b1b, b2a, b2b, b3b.</param>
    /// <param name="inChannels">Input channels.</param>
    public I3dInceptionBlock(long inChannels, long[] outs) : base(nameof(I3dInceptionBlock))
    {
        long[] one = [1, 1, 1], three = [3, 3, 3];
        b0 = new I3dUnit3d(inChannels, outs[0], one);
        b1a = new I3dUnit3d(inChannels, outs[1], one);
        b1b = new I3dUnit3d(outs[1], outs[2], three);
        b2a = new I3dUnit3d(inChannels, outs[3], one);
        b2b = new I3dUnit3d(outs[3], outs[4], three);
        b3a = new I3dMaxPoolSame(three, one);
        b3b = new I3dUnit3d(inChannels, outs[5], one);
        OutChannels = outs[0] + outs[2] + outs[4] + outs[5];
        RegisterComponents();
    }

    public long OutChannels { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = cat([b0.forward(x), b1b.forward(b1a.forward(x)), b2b.forward(b2a.forward(x)), b3b.forward(b3a.forward(x))], 1);
        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Inception-v1 I3D (Carreira &amp; Zisserman 2017) laid out like pytorch-i3d's <c>InceptionI3d</c>, so its
/// <c>rgb_imagenet.pt</c> state dict (keys <c>Conv3d_1a_7x7.conv3d.weight</c>, <c>Mixed_3b.b0.bn.running_mean</c>,
/// …, <c>logits.conv3d.bias</c>) loads without renaming. Input [B, 3, T, H, W] in [-1, 1]. The final 2×7×7 average
/// pool has no padding, so inputs need T ≥ 9 and H, W ≥ 193 (T' = ⌈T/8⌉ − 1, H' = ⌈H/32⌉ − 6); the protocol size
/// 16×224×224 gives one output position. Always runs in evaluation mode (BatchNorm uses running statistics,
/// dropout is off).
/// </summary>
internal sealed class InceptionI3d : nn.Module<Tensor, Tensor>
{
    /// <summary>Width of the pooled features (<see cref="PooledFeatures"/>).</summary>
    public const int PooledDim = 1024;

#pragma warning disable IDE1006 // field names are the state-dict keys
    private readonly I3dUnit3d Conv3d_1a_7x7;
    private readonly I3dMaxPoolSame MaxPool3d_2a_3x3;
    private readonly I3dUnit3d Conv3d_2b_1x1;
    private readonly I3dUnit3d Conv3d_2c_3x3;
    private readonly I3dMaxPoolSame MaxPool3d_3a_3x3;
    private readonly I3dInceptionBlock Mixed_3b, Mixed_3c;
    private readonly I3dMaxPoolSame MaxPool3d_4a_3x3;
    private readonly I3dInceptionBlock Mixed_4b, Mixed_4c, Mixed_4d, Mixed_4e, Mixed_4f;
    private readonly I3dMaxPoolSame MaxPool3d_5a_2x2;
    private readonly I3dInceptionBlock Mixed_5b, Mixed_5c;
    private readonly I3dUnit3d logits;
#pragma warning restore IDE1006

    public InceptionI3d(int numClasses = 400, int inChannels = 3) : base(nameof(InceptionI3d))
    {
        NumClasses = numClasses;
        Conv3d_1a_7x7 = new I3dUnit3d(inChannels, 64, [7, 7, 7], [2, 2, 2]);
        MaxPool3d_2a_3x3 = new I3dMaxPoolSame([1, 3, 3], [1, 2, 2]);
        Conv3d_2b_1x1 = new I3dUnit3d(64, 64, [1, 1, 1]);
        Conv3d_2c_3x3 = new I3dUnit3d(64, 192, [3, 3, 3]);
        MaxPool3d_3a_3x3 = new I3dMaxPoolSame([1, 3, 3], [1, 2, 2]);
        Mixed_3b = new I3dInceptionBlock(192, [64, 96, 128, 16, 32, 32]);
        Mixed_3c = new I3dInceptionBlock(Mixed_3b.OutChannels, [128, 128, 192, 32, 96, 64]);
        MaxPool3d_4a_3x3 = new I3dMaxPoolSame([3, 3, 3], [2, 2, 2]);
        Mixed_4b = new I3dInceptionBlock(Mixed_3c.OutChannels, [192, 96, 208, 16, 48, 64]);
        Mixed_4c = new I3dInceptionBlock(Mixed_4b.OutChannels, [160, 112, 224, 24, 64, 64]);
        Mixed_4d = new I3dInceptionBlock(Mixed_4c.OutChannels, [128, 128, 256, 24, 64, 64]);
        Mixed_4e = new I3dInceptionBlock(Mixed_4d.OutChannels, [112, 144, 288, 32, 64, 64]);
        Mixed_4f = new I3dInceptionBlock(Mixed_4e.OutChannels, [256, 160, 320, 32, 128, 128]);
        MaxPool3d_5a_2x2 = new I3dMaxPoolSame([2, 2, 2], [2, 2, 2]);
        Mixed_5b = new I3dInceptionBlock(Mixed_4f.OutChannels, [256, 160, 320, 32, 128, 128]);
        Mixed_5c = new I3dInceptionBlock(Mixed_5b.OutChannels, [384, 192, 384, 48, 128, 128]);
        logits = new I3dUnit3d(Mixed_5c.OutChannels, numClasses, [1, 1, 1], useBatchNorm: false, useBias: true, relu: false);
        RegisterComponents();
        eval();
    }

    public int NumClasses { get; }

    /// <summary>Mixed_5c output average-pooled by 2×7×7 (stride 1, no padding): [B, 1024, T', H', W'] (pytorch-i3d's <c>extract_features</c>).</summary>
    public Tensor PooledFeatures(Tensor x)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (x.dim() != 5) throw new InvalidInputException($"I3D expects clips [B, C, T, H, W], got [{string.Join(", ", x.shape)}]");
        if (x.shape[2] < 9 || x.shape[3] < 193 || x.shape[4] < 193)
            throw new InvalidInputException($"I3D needs at least 9 frames of 193×193 (its final 2×7×7 pool has no padding); got T={x.shape[2]}, H={x.shape[3]}, W={x.shape[4]}");
        var y = Conv3d_1a_7x7.forward(x);
        y = MaxPool3d_2a_3x3.forward(y);
        y = Conv3d_2b_1x1.forward(y);
        y = Conv3d_2c_3x3.forward(y);
        y = MaxPool3d_3a_3x3.forward(y);
        y = Mixed_3c.forward(Mixed_3b.forward(y));
        y = MaxPool3d_4a_3x3.forward(y);
        y = Mixed_4f.forward(Mixed_4e.forward(Mixed_4d.forward(Mixed_4c.forward(Mixed_4b.forward(y)))));
        y = MaxPool3d_5a_2x2.forward(y);
        y = Mixed_5c.forward(Mixed_5b.forward(y));
        return nn.functional.avg_pool3d(y, [2, 7, 7], [1, 1, 1]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The pre-softmax class logits as pytorch-i3d's <c>forward</c> returns them: [B, classes, T'] (the 1×1×1
    /// <c>logits</c> conv on <see cref="PooledFeatures"/>, spatial axes squeezed; dropout is the identity in evaluation).
    /// </summary>
    public override Tensor forward(Tensor x)
    {
        using var pooled = PooledFeatures(x);
        return Logits(pooled);
    }

    /// <summary>The logits layer on features from <see cref="PooledFeatures"/>: [B, 1024, T', 1, 1] → [B, classes, T'].</summary>
    public Tensor Logits(Tensor pooled)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return logits.forward(pooled).squeeze(3).squeeze(3).MoveToOuterDisposeScope();
    }
}
