using static TorchSharp.torch;

namespace Tessera.Nn;

internal static class Activations
{
    /// <summary>
    /// SiLU of a normalisation's output that only the next convolution reads: in place when no gradient is recorded, so
    /// inference holds one full-size tensor fewer during that convolution (same values either way; autograd needs the
    /// input kept).
    /// </summary>
    public static Tensor SiluOfTemporary(Tensor x) => nn.functional.silu(x, inplace: !is_grad_enabled());
}
