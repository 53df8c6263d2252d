using System.Globalization;

namespace Tessera.Training;

/// <summary>
/// Stops a run (<see cref="TrainingDivergedException"/>) when a loss or gradient is NaN or infinite, before the
/// optimiser step, naming the step, the terms, the newest finite checkpoint and what to change.
/// </summary>
internal sealed class TrainingGuard(CheckpointStore store, double learningRate)
{
    /// <param name="step">Iterations completed before the failing one.</param>
    /// <param name="reducedPrecision">Whether the failing pass ran on a bfloat16 working copy.</param>
    /// <param name="phase">What the values are, for the message (e.g. "autoencoder loss").</param>
    /// <param name="values">The terms to check by name; null values are skipped.</param>
    public void EnsureFinite(long step, bool reducedPrecision, string phase, params (string Term, double? Value)[] values)
    {
        var bad = values.Where(v => v.Value is { } x && !double.IsFinite(x)).ToList();
        if (bad.Count == 0) return;
        var terms = string.Join(", ", bad.Select(b => $"{b.Term} = {b.Value!.Value.ToString(CultureInfo.InvariantCulture)}"));
        var latest = store.Latest();
        var hint = reducedPrecision
            ? $"this run computes in bfloat16 on {CpuInfo.Model}; rerun with --no-bf16 (or bf16: false), or lower the learning rate ({learningRate:G3})"
            : $"lower the learning rate ({learningRate:G3}) or check the training videos";
        throw new TrainingDivergedException(
            $"training diverged at step {step + 1}: non-finite {phase} ({terms}); stopped before the optimiser step, no checkpoint " +
            $"written for it ({(latest is null ? "no earlier checkpoint" : $"newest finite checkpoint: {latest}")}); {hint}");
    }
}
