using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// Linear tube embedding: [B, C, t·pt, h·p, w·p] → [B, t, h, w, dim], the features of a tube ordered
/// (c, pt, py, px), then LayerNorm → Linear → LayerNorm. Keys 1, 2, 3 (key 0 is the reference's Rearrange).
/// </summary>
internal sealed class PatchEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm_in;
    private readonly Linear project;
    private readonly LayerNorm norm_out;
    private readonly long patch;
    private readonly long tube;

    public PatchEmbedding(long channels, long tubeFrames, long patchSize, long dim) : base(nameof(PatchEmbedding))
    {
        patch = patchSize;
        tube = tubeFrames;
        var features = channels * tubeFrames * patchSize * patchSize;
        norm_in = nn.LayerNorm(features);
        project = nn.Linear(features, dim);
        norm_out = nn.LayerNorm(dim);
        register_module("1", norm_in);
        register_module("2", project);
        register_module("3", norm_out);
    }

    // Children are registered by hand under the reference's names; no field reflection on top.
    protected override void RegisterComponents() { }

    public override Tensor forward(Tensor video)
    {
        using var scope = NewDisposeScope();
        long b = video.shape[0], c = video.shape[1], t = video.shape[2] / tube, h = video.shape[3] / patch, w = video.shape[4] / patch;
        var tubes = video.reshape(b, c, t, tube, h, patch, w, patch).permute(0, 2, 4, 6, 1, 3, 5, 7)
            .reshape(b, t, h, w, c * tube * patch * patch);
        return scope.MoveToOuter(norm_out.forward(project.forward(norm_in.forward(tubes))));
    }
}
