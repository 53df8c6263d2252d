using Tessera.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Training.Discriminators;

/// <summary>
/// The reference <c>weights_init</c>: conv weights N(0, 0.02), BatchNorm weights N(1, 0.02) and biases 0. Conv biases
/// keep PyTorch's default distribution U(±1/√fan_in); with a generator they are re-drawn from it, so that no initial
/// value depends on libtorch's global generator (shared by every thread of the process).
/// </summary>
internal static class DiscriminatorInit
{
    /// <summary>Re-initialises every convolution and BatchNorm inside <paramref name="module"/>, drawing from <paramref name="generator"/> when given.</summary>
    public static void Apply(nn.Module module, Generator? generator = null)
    {
        using var _ = no_grad();
        foreach (var m in module.modules())
        {
            switch (m)
            {
                case Conv2d or Conv3d or Conv1d or Nn.TailSafeConvLayer:
                    var weight = m.get_parameter("weight")!;
                    weight.normal_(0.0, 0.02, generator);
                    if (generator is not null && m.get_parameter("bias") is { } bias)
                    {
                        var bound = 1.0 / Math.Sqrt(weight.shape.Skip(1).Aggregate(1L, (a, b) => a * b));
                        bias.uniform_(-bound, bound, generator);
                    }
                    break;
                case BatchNorm1d or BatchNorm2d or BatchNorm3d:
                    m.get_parameter("weight")!.normal_(1.0, 0.02, generator);
                    nn.init.constant_(m.get_parameter("bias"), Scalars.Of(0));
                    break;
            }
        }
    }
}
