using System.Globalization;
using Tessera.Checkpoints;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// Writes everything a resumed run needs: model (encoder.*/decoder.*, so the file is also a Tessera model
    /// file), loss.* (logvar, discriminator, as in official checkpoints), model_ema.*, both optimisers, the KL
    /// noise generator, the step, the data position and the LeCam averages.
    /// </summary>
    private void SaveCheckpoint(long dataPosition)
    {
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>();
        tensors.AddRange(model.state_dict().Select(kv => (kv.Key, kv.Value)));
        tensors.AddRange(loss.state_dict().Select(kv => ("loss." + kv.Key, kv.Value)));
        if (ema is not null) tensors.AddRange(ema.StateTensors("model_ema."));
        tensors.AddRange(optG.StateTensors("optimizer.g."));
        tensors.AddRange(optD.StateTensors("optimizer.d."));
        tensors.Add(("rng.kl_noise", klNoise.get_state()));
        var meta = new Dictionary<string, string>
        {
            ["format"] = "tessera.train/1",
            ["model_config"] = VidTokConfigJson.Serialize(config.Model),
            ["model"] = config.Model.Name,
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["data_position"] = dataPosition.ToString(CultureInfo.InvariantCulture),
            ["tessera_version"] = TesseraInfo.Version,
        };
        if (loss.LeCam is { } lecam)
        {
            meta["lecam_real"] = lecam.LogitsReal.ToString("R", CultureInfo.InvariantCulture);
            meta["lecam_fake"] = lecam.LogitsFake.ToString("R", CultureInfo.InvariantCulture);
        }
        EnsureFiniteTensors(tensors, Step);
        var path = store.Save(Step, tensors.Select(t => (t.Item1, t.Item2.contiguous())), meta);
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
        var saved = VidTokConfigJson.Deserialize(meta["model_config"], latest);
        if (!saved.Equals(config.Model with { Name = saved.Name }))
            throw new ConfigException($"checkpoint '{latest}' was written for a different model configuration than this run's");

        StateDictLoader.LoadInto(model, sd, latest, skipPrefixes: TrainingStatePrefixes);
        StateDictLoader.LoadInto(loss, sd, latest, prefix: "loss.");
        ema?.LoadState(sd, "model_ema.");
        optG.LoadState(sd, "optimizer.g.");
        optD.LoadState(sd, "optimizer.d.");
        klNoise.set_state(sd["rng.kl_noise"]);
        if (loss.LeCam is { } lecam)
        {
            lecam.LogitsReal = double.Parse(meta["lecam_real"], CultureInfo.InvariantCulture);
            lecam.LogitsFake = double.Parse(meta["lecam_fake"], CultureInfo.InvariantCulture);
        }
        Step = long.Parse(meta["step"], CultureInfo.InvariantCulture);
        report($"resumed from {latest} at step {Step}");
        return long.Parse(meta["data_position"], CultureInfo.InvariantCulture);
    }
}
