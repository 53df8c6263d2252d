using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Tests.Nn;

/// <summary>
/// Convolutions whose channel counts are not multiples of 16 against a float64 reference (forward; input, weight and
/// bias gradients) on a [B, C, T, H, W]-contiguous input. On a Zen 5 EPYC with libtorch 2.10 the plain oneDNN call
/// was 13–43% off in bfloat16 and gave wrong or NaN input gradients in float32; elsewhere these pass with or without
/// the workaround.
/// </summary>
[DisposeScopePerTest]
public sealed class TailSafeConvTests
{
    [Theory]
    [InlineData(16, 3, "333", ScalarType.BFloat16)]
    [InlineData(24, 24, "133", ScalarType.BFloat16)]
    [InlineData(4, 24, "311", ScalarType.BFloat16)]
    [InlineData(24, 4, "333", ScalarType.BFloat16)]
    [InlineData(8, 1, "133", ScalarType.BFloat16)]
    [InlineData(24, 24, "333", ScalarType.Float32)]
    [InlineData(16, 3, "133", ScalarType.Float32)]
    [InlineData(32, 32, "333", ScalarType.BFloat16)]
    public void MatchesFloat64_ForwardAndGradients(int inChannels, int outChannels, string kernelSize, ScalarType dtype)
    {
        var k = kernelSize.Select(c => (long)(c - '0')).ToArray();
        long[] padding = [k[0] / 2, k[1] / 2, k[2] / 2];
        long[] stride = [1, 1, 1];
        using var generator = new Generator(7);
        // Values bfloat16 holds exactly, so the reference sees the same inputs.
        var x = randn([2, inChannels, 5, 12, 12], generator: generator).to_type(dtype).to_type(ScalarType.Float64);
        var w = (randn([outChannels, inChannels, .. k], generator: generator) * 0.1).to_type(dtype).to_type(ScalarType.Float64);
        var b = (randn([outChannels], generator: generator) * 0.1).to_type(dtype).to_type(ScalarType.Float64);
        var (y, gx, gw, gb) = Run(x, w, b, dtype, stride, padding);
        var (y64, gx64, gw64, gb64) = Run(x, w, b, ScalarType.Float64, stride, padding);
        var tolerance = dtype == ScalarType.BFloat16 ? 1e-2 : 1e-5;
        Assert.True(y.isfinite().all().item<bool>(), "forward holds NaN or infinite values");
        Assert.True(gx.isfinite().all().item<bool>(), "input gradient holds NaN or infinite values");
        Assert.InRange(Relative(y, y64), 0, tolerance);
        Assert.InRange(Relative(gx, gx64), 0, tolerance);
        Assert.True(gw.isfinite().all().item<bool>(), "weight gradient holds NaN or infinite values");
        Assert.InRange(Relative(gw, gw64), 0, tolerance);
        Assert.InRange(Relative(gb, gb64), 0, tolerance);
    }

    private static (Tensor Output, Tensor InputGradient, Tensor WeightGradient, Tensor BiasGradient) Run(
        Tensor x, Tensor w, Tensor b, ScalarType dtype, long[] stride, long[] padding)
    {
        var input = x.to_type(dtype).contiguous().requires_grad_();
        var weight = w.to_type(dtype).requires_grad_();
        var bias = b.to_type(dtype).requires_grad_();
        var y = TailSafeConv.Conv3d(input, weight, bias, stride, padding);
        using var generator = new Generator(11);
        var upstream = randn(y.shape, generator: generator).to_type(dtype);
        y.backward([upstream]);
        return (y.detach().to_type(ScalarType.Float64), input.grad!.to_type(ScalarType.Float64),
            weight.grad!.to_type(ScalarType.Float64), bias.grad!.to_type(ScalarType.Float64));
    }

    private static double Relative(Tensor value, Tensor reference) => ((value - reference).norm() / reference.norm()).item<double>();
}
