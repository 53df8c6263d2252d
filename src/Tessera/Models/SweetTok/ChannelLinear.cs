using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// A Linear over the channel axis of [B, C, ...] (the reference wraps it in Rearranges, so its key is <c>1</c>):
/// SweetTok's pre/post-VQ projections and the proxy's post-VQ projection.
/// </summary>
internal sealed class ChannelLinear : nn.Module<Tensor, Tensor>
{
    private readonly Linear linear;

    public ChannelLinear(long inFeatures, long outFeatures) : base(nameof(ChannelLinear))
    {
        linear = nn.Linear(inFeatures, outFeatures);
        register_module("1", linear);
    }

    // Children are registered by hand under the reference's names; no field reflection on top.
    protected override void RegisterComponents() { }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(Layout.ChannelsFirst(linear.forward(Layout.ChannelsLast(x))).contiguous());
    }
}
