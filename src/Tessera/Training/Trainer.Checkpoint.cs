using System.Globalization;
using Tessera.Checkpoints;
using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// Writes everything a resumed run needs: the objective's state (model weights first, so the file is also a
    /// Tessera model file, then its losses, EMA, optimisers and generators), the model's config, the step and the
    /// data position.
    /// </summary>
    private void SaveCheckpoint(long dataPosition)
    {
        using var scope = NewDisposeScope();
        var tensors = objective.StateTensors().ToList();
        var meta = new Dictionary<string, string> { ["format"] = "tessera.train/1" };
        ModelFamilies.WriteConfig(meta, config.Model);
        meta["step"] = Step.ToString(CultureInfo.InvariantCulture);
        meta["data_position"] = dataPosition.ToString(CultureInfo.InvariantCulture);
        meta["tessera_version"] = TesseraInfo.Version;
        foreach (var (key, value) in objective.StateMetadata()) meta[key] = value;
        EnsureFiniteTensors(tensors, Step);
        var path = store.Save(Step, tensors.Select(t => (t.Name, t.Value.contiguous())), meta);
        report($"checkpoint {path}");
    }

    /// <summary>Restores the newest checkpoint of the run directory, if any; returns the data position to continue from.</summary>
    private long Resume()
    {
        var latest = store.Latest();
        if (latest is null) return 0;
        using var sd = SafeTensorsFile.Load(latest);
        var meta = sd.Metadata;
        if (meta.GetValueOrDefault("format") != "tessera.train/1")
            throw new CheckpointFormatException($"checkpoint '{latest}' is not a Tessera training checkpoint");
        var saved = ModelFamilies.ReadConfig(meta, latest)
            ?? throw new CheckpointFormatException($"checkpoint '{latest}' does not record its model configuration");
        if (!saved.Equals(config.Model with { Name = saved.Name }))
            throw new ConfigException($"checkpoint '{latest}' was written for a different model configuration than this run's");

        objective.LoadState(sd, latest);
        Step = long.Parse(meta["step"], CultureInfo.InvariantCulture);
        report($"resumed from {latest} at step {Step}");
        return long.Parse(meta["data_position"], CultureInfo.InvariantCulture);
    }
}
