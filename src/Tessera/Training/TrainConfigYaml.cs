using Tessera.Models;

namespace Tessera.Training;

/// <summary>
/// Reads a training configuration file: the family whose marker keys it carries reads it (its official training
/// YAML where it applies, plus a <c>tessera:</c> section for sizes and CPU-friendly settings). JSON works too (it is YAML).
/// </summary>
public static class TrainConfigYaml
{
    public static TrainConfig Load(string path)
    {
        return ModelFamilies.ForTrainingConfig(path).ReadTrainConfig(path);
    }
}
