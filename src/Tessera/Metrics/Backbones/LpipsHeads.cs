using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Metrics.Backbones;

/// <summary>
/// The five LPIPS v0.1 linear heads: <c>lin{k}.model.1.weight</c> [1, C_k, 1, 1], a 1×1 convolution without bias
/// preceded by a Dropout (<c>model.0</c>) that is inactive at evaluation and therefore never applied here.
/// </summary>
internal sealed class LpipsHeads : nn.Module
{
    private readonly NetLinLayer lin0, lin1, lin2, lin3, lin4;

    public LpipsHeads(IReadOnlyList<int> channels) : base(nameof(LpipsHeads))
    {
        if (channels.Count != 5) throw new ArgumentException("LPIPS has five heads", nameof(channels));
        lin0 = new NetLinLayer(channels[0]);
        lin1 = new NetLinLayer(channels[1]);
        lin2 = new NetLinLayer(channels[2]);
        lin3 = new NetLinLayer(channels[3]);
        lin4 = new NetLinLayer(channels[4]);
        RegisterComponents();
    }

    /// <summary>Head <paramref name="k"/> applied to a [N, C_k, H, W] map → [N, 1, H, W].</summary>
    public Tensor Apply(int k, Tensor x) => (k switch
    {
        0 => lin0,
        1 => lin1,
        2 => lin2,
        3 => lin3,
        4 => lin4,
        _ => throw new ArgumentOutOfRangeException(nameof(k)),
    }).forward(x);

    private sealed class NetLinLayer : nn.Module<Tensor, Tensor>
    {
        private readonly ModuleList<nn.Module<Tensor, Tensor>> model;

        public NetLinLayer(int channels) : base(nameof(NetLinLayer))
        {
            model = new ModuleList<nn.Module<Tensor, Tensor>>(nn.Dropout(), new Nn.TailSafeConvLayer(nn.Conv2d(channels, 1, 1, bias: false)));
            RegisterComponents();
        }

        // Evaluation only: the Dropout (model.0) is the identity.
        public override Tensor forward(Tensor x) => model[1].call(x);
    }
}
