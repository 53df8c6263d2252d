using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Tessera.Training.Discriminators;

/// <summary>
/// The 2-D PatchGAN discriminator (pix2pix) VidTok trains against, applied to frames [N, C, H, W]: conv k4 s2
/// p1 + LeakyReLU(0.2), then (n_layers − 1) × [conv k4 s2 p1 without bias, BatchNorm2d, LeakyReLU], then
/// conv k4 s1 p1 without bias + BatchNorm2d + LeakyReLU, then a k4 s1 p1 conv to one logit channel. Parameters
/// sit under <c>main.{i}</c> exactly like the reference Sequential, so official <c>loss.discriminator.*</c>
/// weights load by name.
/// </summary>
internal sealed class NLayerDiscriminator : Module<Tensor, Tensor>
{
    private readonly Sequential main;

    /// <summary>Builds the network with PyTorch's default initialisation; see <see cref="DiscriminatorInit"/>.</summary>
    public NLayerDiscriminator(int inputChannels = 3, int ndf = 64, int nLayers = 3) : base(nameof(NLayerDiscriminator))
    {
        var layers = new List<Module<Tensor, Tensor>>
        {
            new TailSafeConvLayer(Conv2d(inputChannels, ndf, 4, stride: 2, padding: 1)),
            LeakyReLU(0.2),
        };
        var mult = 1;
        for (var n = 1; n < nLayers; n++)
        {
            var prev = mult;
            mult = Math.Min(1 << n, 8);
            layers.Add(new TailSafeConvLayer(Conv2d(ndf * prev, ndf * mult, 4, stride: 2, padding: 1, bias: false)));
            layers.Add(BatchNorm2d(ndf * mult));
            layers.Add(LeakyReLU(0.2));
        }
        var last = mult;
        mult = Math.Min(1 << nLayers, 8);
        layers.Add(new TailSafeConvLayer(Conv2d(ndf * last, ndf * mult, 4, stride: 1, padding: 1, bias: false)));
        layers.Add(BatchNorm2d(ndf * mult));
        layers.Add(LeakyReLU(0.2));
        layers.Add(new TailSafeConvLayer(Conv2d(ndf * mult, 1, 4, stride: 1, padding: 1)));
        main = Sequential(layers.Select((m, i) => (i.ToString(), m)));
        RegisterComponents();
    }

    /// <summary>Logit map [N, 1, H', W'] for frames [N, C, H, W].</summary>
    public override Tensor forward(Tensor input) => main.forward(input);
}
