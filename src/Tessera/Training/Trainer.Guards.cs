using System.Globalization;
using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Training;

public sealed partial class Trainer
{
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
            return ((o - r).norm() / r.norm().clamp_min(Scalars.Of(1e-30))).item<double>();
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
