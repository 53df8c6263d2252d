using Tessera.Metrics;
using Tessera.Nn;
using Tessera.Training.Data;
using static TorchSharp.torch;

namespace Tessera.Training;

public sealed partial class Trainer
{
    /// <summary>Held-out PSNR and SSIM (frame means) with the EMA weights when there are any.</summary>
    public (double Psnr, double Ssim) Evaluate()
    {
        if (eval is null) throw new InvalidOperationException("this run has no held-out data");
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        if (ema is not null) ema.Apply(trainable);
        model.eval();
        try
        {
            using var grad = no_grad();
            var psnr = new List<double>();
            var ssim = new List<double>();
            foreach (var clip in eval.Clips)
            {
                using var scope = NewDisposeScope();
                var x = clip.unsqueeze(0);
                var raw = model.EncodeRaw(x, CausalCache.None());
                var z = model.Fsq is { } fsq ? fsq.Quantize(raw).Codes : model.Gaussian!.Split(raw).Mean;
                var y = model.DecodeRaw(z, CausalCache.None());
                y = y[.., .., (int)(y.shape[2] - x.shape[2])..].clamp(-1.0, 1.0);
                psnr.AddRange(Psnr.PerFrame(x, y));
                ssim.AddRange(Ssim.PerFrame(x, y));
            }
            return (psnr.Average(), ssim.Average());
        }
        finally
        {
            if (ema is not null) ema.Restore(trainable.Select(p => p.parameter));
        }
    }
}

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
