using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// The continuous position bias MLP (2 → dim → dim → heads, LeakyReLU 0.1) some self-attentions own
/// (OmniTokenizer's temporal stacks). The reference computes it on its SDPA path and never adds it, so it only
/// exists to hold the checkpoint's weights. Keys: net.0.0, net.1.0, net.2.
/// </summary>
internal sealed class ContinuousPositionBias : nn.Module
{
    private readonly ModuleList<nn.Module> net;

    public ContinuousPositionBias(long dim, long heads) : base(nameof(ContinuousPositionBias))
    {
        net = new ModuleList<nn.Module>(
            nn.Sequential(nn.Linear(2, dim), nn.LeakyReLU(0.1)),
            nn.Sequential(nn.Linear(dim, dim), nn.LeakyReLU(0.1)),
            nn.Linear(dim, heads));
        RegisterComponents();
    }
}
