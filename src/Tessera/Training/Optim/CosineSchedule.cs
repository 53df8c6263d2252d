namespace Tessera.Training.Optim;

/// <summary>
/// Linear warm-up then a half cosine from the peak to the end rate: lr(t) = peak·t/warmup for t &lt; warmup, else
/// end + (peak − end)·½(1 + cos π·progress), progress = (t − warmup)/(total − warmup). t counts completed steps,
/// so a resumed run recomputes the same rate.
/// </summary>
internal static class CosineSchedule
{
    public static double At(long step, double peak, double end, long warmup, long total)
    {
        if (step < warmup) return peak * step / Math.Max(1, warmup);
        var progress = (double)(step - warmup) / Math.Max(1, total - warmup);
        var ratio = Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * progress)));
        return end + (peak - end) * ratio;
    }
}
