using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Training.Discriminators;

/// <summary>The reference <c>weights_init</c>: conv weights N(0, 0.02) (conv biases keep their default), BatchNorm weights N(1, 0.02) and biases 0.</summary>
public static class DiscriminatorInit
{
    /// <summary>Re-initialises every convolution and BatchNorm inside <paramref name="module"/>, drawing from <paramref name="generator"/> when given.</summary>
    public static void Apply(nn.Module module, Generator? generator = null)
    {
        using var _ = no_grad();
        foreach (var m in module.modules())
        {
            switch (m)
            {
                case Conv2d or Conv3d or Conv1d:
                    nn.init.normal_(m.get_parameter("weight"), 0.0, 0.02, generator);
                    break;
                case BatchNorm1d or BatchNorm2d or BatchNorm3d:
                    nn.init.normal_(m.get_parameter("weight"), 1.0, 0.02, generator);
                    nn.init.constant_(m.get_parameter("bias"), 0);
                    break;
            }
        }
    }
}
