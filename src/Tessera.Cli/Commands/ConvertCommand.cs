using System.CommandLine;
using Tessera.Models.VidTok;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera convert</c>: official checkpoint + config → self-describing Tessera model file.</summary>
public static class ConvertCommand
{
    public static Command Create(CliContext ctx)
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Official VidTok Lightning checkpoint (.ckpt), a state dict (.pt/.pth) or safetensors" };
        var config = new Option<string>("--config", "-c") { Description = "Official VidTok YAML config of the checkpoint" };
        var preset = new Option<string>("--preset", "-p") { Description = "Preset name instead of --config (see 'tessera presets')" };
        var output = new Option<string>("--output", "-o") { Description = "Tessera model file to write (.safetensors)", Required = true };
        var ema = CommonOptions.Ema();
        var command = new Command("convert", "Convert official VidTok weights into a Tessera model file (safetensors with its config)")
        {
            checkpoint, config, preset, output, ema,
        };
        command.SetAction(r => ctx.Run(() => Run(ctx, r.GetValue(checkpoint)!, r.GetValue(config), r.GetValue(preset), r.GetValue(output)!, r.GetValue(ema))));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string checkpoint, string? config, string? preset, string output, bool ema)
    {
        if ((config is null) == (preset is null)) throw new UsageException("give exactly one of --config <yaml> and --preset <name>");
        Paths.CheckOutput(output, ".safetensors");
        MissingModel.ThrowIfMissingCheckpoint(checkpoint);
        OutputGuard.Prepare(output, checkpoint, config);
        var cfg = config is not null ? VidTokYaml.Load(config) : VidTokPresets.Get(preset!);
        using var model = new VidTokModel(cfg);
        ctx.Progress($"reading {checkpoint}");
        VidTokWeights.Load(model, checkpoint, ema);
        VidTokWeights.Save(output, model, new Dictionary<string, string>
        {
            ["converted_from"] = Path.GetFileName(checkpoint),
            ["weights"] = ema ? "ema" : "model",
        });
        var parameters = model.parameters().Sum(p => p.numel());
        ctx.Out.WriteLine($"{cfg.Name}: {parameters:N0} parameters from {checkpoint} -> {output}");
        return ExitCode.Ok;
    }
}
