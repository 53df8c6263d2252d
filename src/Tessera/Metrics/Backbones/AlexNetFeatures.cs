using static TorchSharp.torch;

namespace Tessera.Metrics.Backbones;

/// <summary>
/// torchvision AlexNet <c>features</c> (convs at indices 0, 3, 6, 8, 10) sliced as the lpips package does at
/// relu1..relu5 (layers 0–1, 2–4, 5–7, 8–9, 10–11; the final pool, index 12, is unused).
/// Loads <c>features.N.weight/bias</c> from torchvision's <c>alexnet-owt-7be5be79.pth</c> directly.
/// </summary>
internal sealed class AlexNetFeatures : LpipsFeatureNet
{
    public AlexNetFeatures() : base(nameof(AlexNetFeatures), Layers(), [2, 5, 8, 10, 12], [64, 192, 384, 256, 256]) { }

    private static IEnumerable<nn.Module<Tensor, Tensor>> Layers() =>
    [
        Conv(3, 64, 11, stride: 4, padding: 2), nn.ReLU(), nn.MaxPool2d(3, 2),
        Conv(64, 192, 5, padding: 2), nn.ReLU(), nn.MaxPool2d(3, 2),
        Conv(192, 384, 3, padding: 1), nn.ReLU(),
        Conv(384, 256, 3, padding: 1), nn.ReLU(),
        Conv(256, 256, 3, padding: 1), nn.ReLU(),
    ];
}
