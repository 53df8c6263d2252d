using Tessera.Metrics;
using Tessera.Training.Data;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// Held-out PSNR and SSIM (frame means) with the EMA weights when there are any. <paramref name="cancellationToken"/>
    /// is checked between clips (throws <see cref="OperationCanceledException"/>).
    /// </summary>
    public (double Psnr, double Ssim) Evaluate(CancellationToken cancellationToken = default)
    {
        var r = EvaluateHeldOut(cancellationToken);
        return (r.Psnr, r.Ssim);
    }

    /// <summary>
    /// PSNR and SSIM, and the chroma the reconstructions keep: mean |I| + |Q| (YIQ) of the reconstructions over that of
    /// the clips (1 for faithful colour, 0 for grey), which PSNR alone hides when a model drops colour.
    /// </summary>
    internal HeldOutQuality EvaluateHeldOut(CancellationToken cancellationToken = default)
    {
        if (eval is null) throw new InvalidOperationException("this run has no held-out data");
        using var weights = objective.EvaluationWeights();
        using var grad = no_grad();
        var psnr = new List<double>();
        var ssim = new List<double>();
        double chromaIn = 0, chromaOut = 0;
        foreach (var clip in eval.Clips)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var x = clip.unsqueeze(0);
            var y = objective.Reconstruct(x);
            psnr.AddRange(Psnr.PerFrame(x, y));
            ssim.AddRange(Ssim.PerFrame(x, y));
            chromaIn += Yiq.Chroma(x, 1).abs().mean().item<float>();
            chromaOut += Yiq.Chroma(y, 1).abs().mean().item<float>();
        }
        return new HeldOutQuality(psnr.Average(), ssim.Average(), chromaIn > 0 ? chromaOut / chromaIn : double.NaN);
    }
}

/// <summary>Held-out quality at one step: PSNR (dB), SSIM, and the share of the clips' chroma the reconstructions keep.</summary>
internal readonly record struct HeldOutQuality(double Psnr, double Ssim, double Chroma);

/// <summary>A fixed set of held-out clips (centre crops), decoded once.</summary>
internal sealed class EvalSet : IDisposable
{
    public EvalSet(VideoDataset data, ClipSpec spec, int count)
    {
        var sampler = data.Sampler(spec, seed: 1234);
        var decoder = new ClipDecoder(data, spec);
        Clips = Enumerable.Range(0, count).Select(i => decoder.Decode(sampler.Sample(i)).DetachFromDisposeScope()).ToArray();
    }

    public IReadOnlyList<Tensor> Clips { get; }

    public void Dispose()
    {
        foreach (var c in Clips) c.Dispose();
    }
}
