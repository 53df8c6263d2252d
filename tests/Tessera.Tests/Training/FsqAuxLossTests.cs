using System.Text.Json;
using Tessera.Checkpoints;
using Tessera.Quantizers;
using Tessera.Training;
using static Tessera.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace Tessera.Tests.Training;

[DisposeScopePerTest]
public class FsqAuxLossTests
{
    private static readonly Fsq Fsq8x4 = new([8, 8, 8, 8]);

    [Fact]
    public void AnnealedWeightMatchesReferenceSchedule()
    {
        var loss = new FsqAuxLoss(Fsq8x4);
        foreach (var step in Meta.GetProperty("fsq").GetProperty("steps").EnumerateObject())
            Assert.Equal(step.Value.GetProperty("weight").GetDouble(), loss.EntropyWeight(long.Parse(step.Name)));
    }

    [Fact]
    public void AuxLossAndPartsMatchReference()
    {
        using var z = Load("fsq_z");
        var (codes, idx) = Fsq8x4.Quantize(z);
        using var _c = codes; using var _i = idx;
        using var refCodes = Load("fsq_codes");
        Assert.Equal(0.0, MaxAbsDiff(codes, refCodes));
        var fsq = Meta.GetProperty("fsq");
        foreach (var chunk in new[] { 0, 5 })
        {
            var loss = new FsqAuxLoss(Fsq8x4, new FsqAuxLossOptions(TokenChunk: chunk));
            foreach (var step in fsq.GetProperty("steps").EnumerateObject())
            {
                using var r = loss.Compute(z, codes, long.Parse(step.Name));
                Close(step.Value.GetProperty("aux_loss").GetDouble(), r.AuxLoss.item<float>(), 1e-5, 1e-6);
                Close(fsq.GetProperty("per_sample_entropy").GetDouble(), r.PerSampleEntropy.item<float>(), 1e-5, 1e-6);
                Close(fsq.GetProperty("codebook_entropy").GetDouble(), r.CodebookEntropy.item<float>(), 1e-5, 1e-6);
                Close(fsq.GetProperty("commit").GetDouble(), r.Commitment.item<float>(), 1e-6);
            }
        }
    }

    [Fact]
    public void GradientThroughQuantizerMatchesReference()
    {
        using var z0 = Load("fsq_z");
        using var z = z0.clone().requires_grad_(true);
        var (codes, idx) = Fsq8x4.Quantize(z);
        using var _c = codes; using var _i = idx;
        using var r = new FsqAuxLoss(Fsq8x4, new FsqAuxLossOptions(TokenChunk: 7)).Compute(z, codes, 500);
        r.AuxLoss.backward();
        using var expected = Load("fsq_grad_step500");
        Close(expected, z.grad!, 1e-6, 1e-4);
    }

    [SharedFact("reference/vidtok-golden/causal_v1_0_fsq/z_pre.npy", "reference/vidtok-golden/causal_v1_0_fsq/meta.json")]
    public void GoldenLargeCodebookAuxLossAtStep0And2000()
    {
        using var meta = JsonDocument.Parse(File.ReadAllText(TestPaths.Shared("reference/vidtok-golden/causal_v1_0_fsq/meta.json")!));
        var m = meta.RootElement;
        var fsq = new Fsq(m.GetProperty("fsq_levels").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        Assert.Equal(262144, fsq.CodebookSize);
        using var _ = no_grad();
        using var z = Npy.Load(TestPaths.Shared("reference/vidtok-golden/causal_v1_0_fsq/z_pre.npy")!);
        var (codes, idx) = fsq.Quantize(z);
        using var _c = codes; using var _i = idx;
        var loss = new FsqAuxLoss(fsq);
        using var r0 = loss.Compute(z, codes, 0);
        using var r2000 = loss.Compute(z, codes, 2000);
        Close(m.GetProperty("aux_loss_step0").GetDouble(), r0.AuxLoss.item<float>(), 1e-5);
        Close(m.GetProperty("aux_loss_step2000").GetDouble(), r2000.AuxLoss.item<float>(), 1e-5);
        Close(m.GetProperty("fsq_per_sample_entropy").GetDouble(), r0.PerSampleEntropy.item<float>(), 1e-5);
        Close(m.GetProperty("fsq_codebook_entropy").GetDouble(), r0.CodebookEntropy.item<float>(), 1e-5);
        Close(m.GetProperty("fsq_commit_loss").GetDouble(), r0.Commitment.item<float>(), 1e-5);
    }
}
