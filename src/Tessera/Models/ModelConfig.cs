namespace Tessera.Models;

/// <summary>
/// Everything that builds one model of a family (weights aside). Each family's typed config derives from this;
/// <see cref="ModelFamilies"/> serialises it into model and token files by <see cref="FamilyName"/>.
/// </summary>
public abstract record ModelConfig
{
    /// <summary>The preset name, or "custom" for a config read from a file without one.</summary>
    public string Name { get; init; } = "custom";

    /// <summary>The registered family this config belongs to (<see cref="ModelFamilyProvider.Name"/>).</summary>
    public abstract string FamilyName { get; }

    /// <summary>What a model built from this config takes and produces.</summary>
    public abstract ModelCard Card { get; }
}
