using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// GEGLU feed-forward, the reference's <c>nn.Sequential</c> (keys 0 = LayerNorm, 1 = Linear to 2·inner, 4 = Linear
/// back; 2 and 3 are GEGLU and dropout). The first half of the projection is the value, the second the gate
/// (exact-erf GELU). inner = ⌊mult·(2/3)·dim⌋.
/// </summary>
internal sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm;
    private readonly Linear project_in;
    private readonly Linear project_out;

    public FeedForward(long dim, double mult) : base(nameof(FeedForward))
    {
        var inner = InnerDim(dim, mult);
        norm = nn.LayerNorm(dim);
        project_in = nn.Linear(dim, 2 * inner, hasBias: false);
        project_out = nn.Linear(inner, dim, hasBias: false);
        register_module("0", norm);
        register_module("1", project_in);
        register_module("4", project_out);
    }

    // Children are registered by hand under the reference's names; no field reflection on top.
    protected override void RegisterComponents() { }

    public static long InnerDim(long dim, double mult) => (long)(mult * (2.0 / 3.0) * dim);

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = project_in.forward(norm.forward(x));
        var parts = h.chunk(2, -1);
        var gated = nn.functional.gelu(parts[1]) * parts[0];
        return scope.MoveToOuter(project_out.forward(gated));
    }
}
