using Tessera.Models;

namespace Tessera.Cli;

/// <summary>
/// The errors for a --model file or official checkpoint that is not there, saying how to get one: the official weights
/// cannot ship with Tessera, so the likeliest cause is a checkpoint that was never downloaded (and converted).
/// </summary>
internal static class MissingModel
{
    private const string Readme = "(README, \"Official weights\")";

    public static void ThrowIfMissing(string model)
    {
        if (File.Exists(model) || ModelFamilies.IsPreset(model)) return;
        if (model.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase)) ThrowIfMissingCheckpoint(model);
        if (!model.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && !model.Contains('/')) return;
        var stem = Path.GetFileNameWithoutExtension(model);
        var how = ModelFamilies.OfficialWeightsSource(stem) is { } download
            ? $"'{stem}' is an official model: pass --model {stem} (without --weights) to download and convert it once from the Hub, or {download}, then convert it once with " +
              $"'tessera convert {stem}.ckpt --preset {stem} --output {Path.GetFileName(model)}'"
            : "give a Tessera model file (official checkpoints: convert them once with 'tessera convert'), a preset name with --weights, or leave out --model for the bundled model";
        throw new ConfigException($"model file '{model}' does not exist; {how} {Readme}");
    }

    public static void ThrowIfMissingCheckpoint(string checkpoint)
    {
        if (File.Exists(checkpoint)) return;
        var stem = Path.GetFileNameWithoutExtension(checkpoint);
        var how = ModelFamilies.OfficialWeightsSource(stem) is { } download ? $"; '{stem}' is an official checkpoint: {download} {Readme}" : "";
        throw new CheckpointFormatException($"checkpoint '{checkpoint}' does not exist{how}");
    }
}
