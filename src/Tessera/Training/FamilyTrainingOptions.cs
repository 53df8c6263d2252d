namespace Tessera.Training;

/// <summary>Training settings only one model family reads (its curriculum stage, proxy, schedule); the family derives its own record.</summary>
public abstract record FamilyTrainingOptions;
