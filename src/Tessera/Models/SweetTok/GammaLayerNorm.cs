using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// OmniTokenizer's LayerNorm (eps 1e-5): a learned <c>gamma</c> and a <c>beta</c> that is a persistent buffer, so it
/// is in every checkpoint. Real checkpoints hold zeros there, but the buffer is loaded and applied like a bias.
/// </summary>
internal sealed class GammaLayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter gamma;
    private readonly Tensor beta;

    public GammaLayerNorm(long dim) : base(nameof(GammaLayerNorm))
    {
        gamma = nn.Parameter(ones(dim));
        beta = zeros(dim);
        register_parameter(nameof(gamma), gamma);
        register_buffer(nameof(beta), beta);
    }

    // Children are registered by hand under the reference's names; no field reflection on top.
    protected override void RegisterComponents() { }

    public override Tensor forward(Tensor x) =>
        nn.functional.layer_norm(x, [x.shape[^1]], gamma, beta, 1e-5);
}
