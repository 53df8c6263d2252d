using Tessera.Training.Optim;
using TorchSharp.Modules;
using static Tessera.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace Tessera.Tests.Training;

[DisposeScopePerTest]
public class GradClipTests
{
    [Theory]
    [InlineData("big", 0)]
    [InlineData("small", 1)]
    public void MatchesTorchClipGradNorm(string tag, int index)
    {
        var ps = new[] { new Parameter(zeros(3, 4)), new Parameter(zeros(7)), new Parameter(zeros(2)) };
        ps[0].grad = Load($"clip_{tag}_g0");
        ps[1].grad = Load($"clip_{tag}_g1");
        var total = GradClip.ClipGradNorm(ps, 20.0);
        var expected = Meta.GetProperty("clip")[index];
        Assert.Equal(tag, expected.GetProperty("case").GetString());
        Close(expected.GetProperty("total_norm").GetDouble(), total, 1e-6);
        Close(Load($"clip_{tag}_clipped0"), ps[0].grad!, 1e-7, 1e-6);
        Close(Load($"clip_{tag}_clipped1"), ps[1].grad!, 1e-7, 1e-6);
        Assert.Null(ps[2].grad);
    }
}
