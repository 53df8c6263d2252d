using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// The inverse of <see cref="PatchEmbedding"/> in OmniTokenizer's decoder: Linear(dim → c·pt·p·p) per token, then
/// [B, t, h, w, (c pt p p)] → [B, c, t·pt, h·p, w·p]. Key 0 (key 1 is the reference's Rearrange).
/// </summary>
internal sealed class ToPixels : nn.Module<Tensor, Tensor>
{
    private readonly Linear project;
    private readonly long channels;
    private readonly long tube;
    private readonly long patch;

    public ToPixels(long dim, long channels, long tubeFrames, long patchSize) : base(nameof(ToPixels))
    {
        this.channels = channels;
        tube = tubeFrames;
        patch = patchSize;
        project = nn.Linear(dim, channels * tubeFrames * patchSize * patchSize);
        register_module("0", project);
    }

    // Children are registered by hand under the reference's names; no field reflection on top.
    protected override void RegisterComponents() { }

    public override Tensor forward(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        long b = tokens.shape[0], t = tokens.shape[1], h = tokens.shape[2], w = tokens.shape[3];
        var pixels = project.forward(tokens).reshape(b, t, h, w, channels, tube, patch, patch)
            .permute(0, 4, 1, 5, 2, 6, 3, 7).reshape(b, channels, t * tube, h * patch, w * patch);
        return scope.MoveToOuter(pixels);
    }
}
