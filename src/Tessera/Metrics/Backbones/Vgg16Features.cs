using static TorchSharp.torch;

namespace Tessera.Metrics.Backbones;

/// <summary>
/// torchvision VGG16 <c>features</c> (13 3×3 convs with ReLU, four 2×2 max-pools) sliced as LPIPS does at
/// relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 (layers 0–3, 4–8, 9–15, 16–22, 23–29; the final pool, index 30, is unused).
/// Loads <c>features.N.weight/bias</c> from torchvision's <c>vgg16-397923af.pth</c> directly.
/// </summary>
internal sealed class Vgg16Features : LpipsFeatureNet
{
    public Vgg16Features() : base(nameof(Vgg16Features), Layers(), [4, 9, 16, 23, 30], [64, 128, 256, 512, 512]) { }

    private static IEnumerable<nn.Module<Tensor, Tensor>> Layers()
    {
        int[] config = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512]; // 0 = max-pool
        var cin = 3;
        foreach (var c in config)
        {
            if (c == 0)
            {
                yield return nn.MaxPool2d(2, 2);
                continue;
            }
            yield return Conv(cin, c, 3, padding: 1);
            yield return nn.ReLU();
            cin = c;
        }
    }
}
