using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>Which axes of a [B, C, T, H, W] tensor a convolution kernel spans.</summary>
internal enum KernelAxes
{
    /// <summary>A Conv2d kernel [out, in, k, k], applied to every frame.</summary>
    Spatial2d,
    /// <summary>A Conv1d kernel [out, in, k], applied along time at every pixel.</summary>
    Temporal1d,
    /// <summary>A Conv3d kernel [out, in, k, k, k].</summary>
    Full3d,
}

/// <summary>
/// A Conv1d/Conv2d/Conv3d whose weight keeps the official shape (keys <c>weight</c>, <c>bias</c>) but is
/// always applied to [B, C, T, H, W] as a 3-D convolution with symmetric zero padding. Running 2-D spatial
/// and 1-D temporal kernels as (1,k,k) and (k,1,1) kernels gives the reference's results without folding
/// time into the batch (and back) around every block.
/// </summary>
internal sealed class Conv : StreamModule
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly KernelAxes axes;
    private readonly long[] stride;
    private readonly long[] padding;

    public Conv(long inChannels, long outChannels, int kernel, KernelAxes axes,
        (long T, long H, long W)? stride = null, (long T, long H, long W)? padding = null) : base(nameof(Conv))
    {
        this.axes = axes;
        long[] shape = axes switch
        {
            KernelAxes.Spatial2d => [outChannels, inChannels, kernel, kernel],
            KernelAxes.Temporal1d => [outChannels, inChannels, kernel],
            _ => [outChannels, inChannels, kernel, kernel, kernel],
        };
        var s = stride ?? (1, 1, 1);
        var p = padding ?? (0, 0, 0);
        this.stride = [s.T, s.H, s.W];
        this.padding = [p.T, p.H, p.W];
        weight = new Parameter(empty(shape));
        bias = new Parameter(empty(outChannels));
        ResetParameters();
        RegisterComponents();
    }

    public Parameter Weight => weight;

    /// <summary>
    /// PyTorch's default initialisation (Kaiming-uniform with a = √5, bias U(±1/√fan_in)), drawn from
    /// <paramref name="generator"/>, else from <see cref="InitRandom.Current"/>, else from the global generator.
    /// </summary>
    public void ResetParameters(Generator? generator = null)
    {
        using var _ = no_grad();
        generator ??= InitRandom.Current;
        var fanIn = weight.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        // kaiming_uniform_(a = √5, fan_in, leaky_relu): U(±√3·gain/√fan_in) with gain = √(2 / (1 + a²)), one uniform_ draw as in torch.
        var gain = Math.Sqrt(2.0 / (1 + 5.0));
        var weightBound = Math.Sqrt(3.0) * gain / Math.Sqrt(fanIn);
        weight.uniform_(-weightBound, weightBound, generator);
        var bound = 1.0 / Math.Sqrt(fanIn);
        bias.uniform_(-bound, bound, generator);
    }

    /// <summary>Sets weight and bias to zero (VidTok's zero-initialised temporal conv2: a new block is the identity).</summary>
    public void ZeroParameters()
    {
        using var _ = no_grad();
        weight.zero_();
        bias.zero_();
    }

    public override Tensor forward(Tensor x, CausalCache cache)
    {
        using var kernel = axes switch
        {
            KernelAxes.Spatial2d => weight.unsqueeze(2),
            KernelAxes.Temporal1d => weight.view([.. weight.shape, 1, 1]),
            _ => weight.alias(),
        };
        var y = TailSafeConv.Conv3d(x, kernel, bias, stride, padding);
        ForwardTrace.Record(this, x, y);
        return y;
    }
}
