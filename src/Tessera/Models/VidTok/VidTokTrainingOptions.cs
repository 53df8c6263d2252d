using Tessera.Training;
using Tessera.Training.Optim;

namespace Tessera.Models.VidTok;

/// <summary>
/// Settings of a VidTok run beyond the reference's recipe. The reference trains at a constant learning rate; a run
/// that has levelled off can anneal it instead: constant until <see cref="LrDecayStart"/>, then a half cosine down to
/// <see cref="EndLearningRate"/> at the run's last step (the same for the autoencoder and the discriminator).
/// </summary>
internal sealed record VidTokTrainingOptions : FamilyTrainingOptions
{
    /// <summary>Step at which the cosine decay begins; null keeps the learning rate constant (the reference).</summary>
    public long? LrDecayStart { get; init; }

    /// <summary>Learning rate at the last step when decaying.</summary>
    public double EndLearningRate { get; init; }

    /// <summary>The learning rate of step <paramref name="step"/> (completed steps) of a run of <paramref name="maxSteps"/>.</summary>
    public double LearningRateAt(long step, double peak, long maxSteps) =>
        LrDecayStart is not { } start || step < start
            ? peak
            : CosineSchedule.At(Math.Min(step, maxSteps) - start, peak, EndLearningRate, 0, Math.Max(1, maxSteps - start));
}
