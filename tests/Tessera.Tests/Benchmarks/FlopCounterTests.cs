using Tessera.Benchmarks;
using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Tests.Benchmarks;

[DisposeScopePerTest]
public class FlopCounterTests
{
    [Fact]
    public void CountsAConv3dAndALinearFromTheShapesTheySaw()
    {
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        using var conv = new Conv(2, 4, 3, KernelAxes.Full3d, padding: (1, 1, 1));
        using var linear = nn.Linear(5, 7);
        using var counter = new FlopCounter(linear);

        conv.forward(ones([1L, 2, 3, 4, 4]), CausalCache.None());
        linear.call(ones([2L, 6, 5]));

        // conv3d: 4 output channels x 3x4x4 positions, each 2 input channels x 27 taps = 192 x 54.
        Assert.Equal(10_368, counter.MacsByKind["conv3d"]);
        // linear: 2x6 rows, each 5 inputs x 7 outputs.
        Assert.Equal(420, counter.MacsByKind["linear"]);
        Assert.Equal(2 * (10_368 + 420), counter.Flops);
    }

    [Fact]
    public void CountsStridedSpatialConvolutionsAtTheirOutputSize()
    {
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        using var conv = new Conv(3, 8, 3, KernelAxes.Spatial2d, stride: (1, 2, 2), padding: (0, 1, 1));
        using var counter = new FlopCounter();

        using var y = conv.forward(ones([1L, 3, 2, 8, 8]), CausalCache.None());

        Assert.Equal([1L, 8, 2, 4, 4], y.shape);
        // 8 x 2x4x4 outputs, each 3 input channels x 3x3 taps.
        Assert.Equal(6_912, counter.Macs);
    }

    [Fact]
    public void StopsCountingWhenDisposed()
    {
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        using var conv = new Conv(1, 1, 1, KernelAxes.Full3d);
        var counter = new FlopCounter();
        conv.forward(ones([1L, 1, 1, 2, 2]), CausalCache.None());
        counter.Dispose();
        conv.forward(ones([1L, 1, 1, 2, 2]), CausalCache.None());

        Assert.Equal(4, counter.Macs);
    }
}
