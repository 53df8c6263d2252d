using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Tessera.Training.Discriminators;

/// <summary>
/// The 3-D PatchGAN of VidTok (not used by any release config), on clips [B, C, T, H, W]: Conv3d k3 p1 with
/// strides 2 (first), (2,2,2) (second), (1,2,2) (later downsampling layers), then a stride-1 conv + BatchNorm3d +
/// LeakyReLU and a stride-1 conv to one logit channel. Keys <c>main.{i}</c> as in the reference.
/// </summary>
internal sealed class NLayerDiscriminator3D : Module<Tensor, Tensor>
{
    private readonly Sequential main;

    /// <summary>Builds the network with PyTorch's default initialisation; see <see cref="DiscriminatorInit"/>.</summary>
    public NLayerDiscriminator3D(int inputChannels = 3, int ndf = 64, int nLayers = 3) : base(nameof(NLayerDiscriminator3D))
    {
        var layers = new List<Module<Tensor, Tensor>>
        {
            new TailSafeConvLayer(Conv3d(inputChannels, ndf, 3, stride: 2, padding: 1)),
            LeakyReLU(0.2),
        };
        var mult = 1;
        for (var n = 1; n < nLayers; n++)
        {
            var prev = mult;
            mult = Math.Min(1 << n, 8);
            layers.Add(new TailSafeConvLayer(Conv3d(ndf * prev, ndf * mult, (3, 3, 3), stride: (n == 1 ? 2 : 1, 2, 2), padding: (1, 1, 1), bias: false)));
            layers.Add(BatchNorm3d(ndf * mult));
            layers.Add(LeakyReLU(0.2));
        }
        var last = mult;
        mult = Math.Min(1 << nLayers, 8);
        layers.Add(new TailSafeConvLayer(Conv3d(ndf * last, ndf * mult, 3, stride: 1, padding: 1, bias: false)));
        layers.Add(BatchNorm3d(ndf * mult));
        layers.Add(LeakyReLU(0.2));
        layers.Add(new TailSafeConvLayer(Conv3d(ndf * mult, 1, 3, stride: 1, padding: 1)));
        main = Sequential(layers.Select((m, i) => (i.ToString(), m)));
        RegisterComponents();
    }

    /// <summary>Logit volume [B, 1, T', H', W'] for clips [B, C, T, H, W].</summary>
    public override Tensor forward(Tensor input) => main.forward(input);
}
