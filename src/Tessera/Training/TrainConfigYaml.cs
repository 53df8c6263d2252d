using Tessera.Models;

namespace Tessera.Training;

/// <summary>
/// Reads a training configuration file: the family whose marker keys it carries reads it (its official training
/// YAML where it applies, plus a <c>tessera:</c> section for sizes and CPU-friendly settings). JSON works too (it is YAML).
/// </summary>
public static class TrainConfigYaml
{
    /// <summary>Reads the training configuration at <paramref name="path"/>.</summary>
    /// <exception cref="ConfigException">The file is missing, malformed or inconsistent.</exception>
    public static TrainConfig Load(string path)
    {
        return ModelFamilies.ForTrainingConfig(path).ReadTrainConfig(path);
    }
}
