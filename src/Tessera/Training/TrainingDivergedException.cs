namespace Tessera.Training;

/// <summary>
/// Training produced a non-finite loss, gradient or weight. The run stops before the optimiser applies it, so the
/// weights in memory and every checkpoint on disk stay finite; the message names the step and the term.
/// </summary>
/// <param name="message">The step, the non-finite terms, the newest finite checkpoint and what to change.</param>
public sealed class TrainingDivergedException(string message) : TesseraException(message);
