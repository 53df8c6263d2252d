using System.Globalization;
using Tessera.Models.VidTok;
using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Training;

public sealed partial class Trainer
{
    /// <summary>Whether the autoencoder's passes run on the bfloat16 working copy (false when bf16 was off or refused by the self-check).</summary>
    public bool Bf16Active => work is not null;

    /// <summary>
    /// Stops the run (<see cref="TrainingDivergedException"/>) when any of the values is NaN or infinite. Called
    /// before each optimiser step, so a non-finite loss or gradient never reaches the weights or a checkpoint.
    /// </summary>
    private void EnsureFinite(string phase, params (string Term, double? Value)[] values)
    {
        var bad = values.Where(v => v.Value is { } x && !double.IsFinite(x)).ToList();
        if (bad.Count == 0) return;
        var terms = string.Join(", ", bad.Select(b => $"{b.Term} = {b.Value!.Value.ToString(CultureInfo.InvariantCulture)}"));
        var latest = store.Latest();
        var hint = work is not null
            ? $"this run computes in bfloat16 on {CpuInfo.Model}; rerun with --no-bf16 (or bf16: false), or lower the learning rate ({config.LearningRate:G3})"
            : $"lower the learning rate ({config.LearningRate:G3}) or check the training videos";
        throw new TrainingDivergedException(
            $"training diverged at step {Step + 1}: non-finite {phase} ({terms}); stopped before the optimiser step, no checkpoint " +
            $"written for it ({(latest is null ? "no earlier checkpoint" : $"newest finite checkpoint: {latest}")}); {hint}");
    }

    /// <summary>Refuses to write a checkpoint holding a NaN or infinite value (the step guards make this a last line of defence).</summary>
    private static void EnsureFiniteTensors(IEnumerable<(string Name, Tensor Value)> tensors, long step)
    {
        foreach (var (name, t) in tensors)
        {
            if (!t.is_floating_point()) continue;
            using var finite = t.isfinite().all();
            if (!finite.item<bool>())
                throw new TrainingDivergedException($"refusing to write the checkpoint of step {step}: '{name}' holds NaN or infinite values");
        }
    }

    /// <summary>
    /// Runs one forward and backward pass of a fixed smooth clip through the float32 model and through the bfloat16
    /// working copy (same weights) and compares reconstructions and gradients. bfloat16 kernels differ by CPU
    /// (oneDNN's native AVX512-BF16/AMX kernels on some, float32 emulation on others), and a broken one turns
    /// training into NaN from the first step; this catches that before any step is taken.
    /// </summary>
    internal static Bf16Check CheckBf16(VidTokModel master, VidTokModel copy, ClipShape shape)
    {
        CopyWeights(master, copy);
        var (y32, g32) = ProbePass(master, shape);
        var (y16, g16) = ProbePass(copy, shape);
        try
        {
            return Bf16Check.Compare(y32, y16, g32, g16);
        }
        finally
        {
            y32.Dispose(); y16.Dispose(); g32.Dispose(); g16.Dispose();
        }
    }

    /// <summary>The size of the probe clip: one clip of the training size.</summary>
    internal readonly record struct ClipShape(int Frames, int Size);

    // Reconstruction (float32) and all trainable gradients (flattened, float32) for a fixed clip; the latent goes
    // to the decoder unquantised, so FSQ rounding cannot flip a code between the two precisions.
    private static (Tensor Reconstruction, Tensor Gradients) ProbePass(VidTokModel net, ClipShape shape)
    {
        using var scope = NewDisposeScope();
        var dtype = net.parameters().First().dtype;
        var t = linspace(0, 1, shape.Frames).reshape(1, 1, -1, 1, 1);
        var yy = linspace(-1, 1, shape.Size).reshape(1, 1, 1, -1, 1);
        var xx = linspace(-1, 1, shape.Size).reshape(1, 1, 1, 1, -1);
        var channel = tensor(new float[] { 1.0f, 2.0f, 3.0f }).reshape(1, 3, 1, 1, 1);
        var x = (channel * (3 * xx + 2 * yy + t) + 2 * xx * yy).sin() * 0.9;
        var raw = net.EncodeRaw(x.to_type(dtype), CausalCache.None()).to_type(ScalarType.Float32);
        var z = net.Gaussian is { } g ? g.Split(raw).Mean : raw;
        var y = net.DecodeRaw(z.to_type(dtype), CausalCache.None()).to_type(ScalarType.Float32);
        var loss = y.square().mean() + (y.narrow(2, y.shape[2] - 1, 1) - x.narrow(2, x.shape[2] - 1, 1)).abs().mean();
        var trainable = net.parameters().Where(p => p.requires_grad).ToList();
        foreach (var p in trainable) p.grad = null;
        loss.backward();
        var grads = cat(trainable.Select(p => (p.grad ?? zeros_like(p)).to_type(ScalarType.Float32).flatten()).ToArray());
        foreach (var p in trainable) p.grad = null;
        return (y.detach().MoveToOuterDisposeScope(), grads.MoveToOuterDisposeScope());
    }
}

/// <summary>The outcome of the bfloat16 self-check: relative L2 errors of the reconstruction and the gradients against float32.</summary>
internal readonly record struct Bf16Check(double ReconstructionError, double GradientError, string? Failure)
{
    /// <summary>Relative L2 error allowed for the reconstruction: bfloat16 rounding (2⁻⁹ per operation) through a few dozen layers stays near 1%.</summary>
    public const double MaxReconstructionError = 0.05;

    /// <summary>Relative L2 error allowed for the gradient vector.</summary>
    public const double MaxGradientError = 0.25;

    public bool Passed => Failure is null;

    public static Bf16Check Compare(Tensor y32, Tensor y16, Tensor g32, Tensor g16)
    {
        using var scope = NewDisposeScope();
        static double Rel(Tensor reference, Tensor other)
        {
            var r = reference.to_type(ScalarType.Float64);
            var o = other.to_type(ScalarType.Float64);
            return ((o - r).norm() / r.norm().clamp_min(1e-30)).item<double>();
        }
        var yFinite = y16.isfinite().all().item<bool>();
        var gFinite = g16.isfinite().all().item<bool>();
        var ey = yFinite ? Rel(y32, y16) : double.NaN;
        var eg = gFinite ? Rel(g32, g16) : double.NaN;
        string? failure = null;
        if (!yFinite) failure = "the bfloat16 reconstruction holds NaN or infinite values";
        else if (!gFinite) failure = "the bfloat16 gradients hold NaN or infinite values";
        else if (!(ey <= MaxReconstructionError)) failure = $"the bfloat16 reconstruction differs from float32 by {ey:P1} (relative L2; at most {MaxReconstructionError:P0} expected)";
        else if (!(eg <= MaxGradientError)) failure = $"the bfloat16 gradients differ from float32 by {eg:P1} (relative L2; at most {MaxGradientError:P0} expected)";
        return new Bf16Check(ey, eg, failure);
    }
}
