using Tessera.Models.VidTok;

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
        if (File.Exists(model) || VidTokPresets.TryGet(model, out _)) return;
        if (model.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase)) ThrowIfMissingCheckpoint(model);
        if (!model.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && !model.Contains('/')) return;
        var stem = Path.GetFileNameWithoutExtension(model);
        var how = VidTokPresets.TryGet(stem, out _)
            ? $"'{stem}' is an official VidTok model: {Download(stem)}, then convert it once with " +
              $"'tessera convert {stem}.ckpt --preset {stem} --output {Path.GetFileName(model)}'"
            : "give a Tessera model file (official checkpoints: convert them once with 'tessera convert'), a preset name with --weights, or leave out --model for the bundled model";
        throw new ConfigException($"model file '{model}' does not exist; {how} {Readme}");
    }

    public static void ThrowIfMissingCheckpoint(string checkpoint)
    {
        if (File.Exists(checkpoint)) return;
        var stem = Path.GetFileNameWithoutExtension(checkpoint);
        var how = VidTokPresets.TryGet(stem, out _) ? $"; '{stem}' is an official VidTok checkpoint: {Download(stem)} {Readme}" : "";
        throw new CheckpointFormatException($"checkpoint '{checkpoint}' does not exist{how}");
    }

    private static string Download(string stem) => $"download {stem}.ckpt from Hugging Face (microsoft/VidTok, folder checkpoints/)";
}
