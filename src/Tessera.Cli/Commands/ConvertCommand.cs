using System.CommandLine;
using Tessera.Models;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera convert</c>: official checkpoint + config → self-describing Tessera model file. The family comes from
/// the config file (or preset); it declares any extra inputs it needs, which appear here as options.
/// </summary>
internal static class ConvertCommand
{
    public static Command Create(CliContext ctx)
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Official checkpoint: Lightning .ckpt, torch.save state dict (.bin/.pt/.pth), safetensors or TorchSharp .dat" };
        var config = new Option<string>("--config", "-c") { Description = "Official YAML config of the checkpoint (the model family is read from it)" };
        var preset = new Option<string>("--preset", "-p") { Description = "Preset name instead of --config (see 'tessera presets')" };
        var output = new Option<string>("--output", "-o") { Description = "Tessera model file to write (.safetensors)", Required = true };
        var ema = CommonOptions.Ema();
        var inputs = ModelFamilies.All.SelectMany(f => f.ConversionInputs)
            .DistinctBy(i => i.Name)
            .Select(i => (i.Name, Option: new Option<string>("--" + i.Name) { Description = i.Description }))
            .ToArray();
        var command = new Command("convert", "Convert official weights into a Tessera model file (safetensors with its config)")
        {
            checkpoint, config, preset, output, ema,
        };
        foreach (var (_, option) in inputs) command.Add(option);
        command.SetAction(r => ctx.Run(() => Run(ctx, r.GetValue(checkpoint)!, r.GetValue(config), r.GetValue(preset), r.GetValue(output)!, r.GetValue(ema),
            inputs.Where(i => r.GetValue(i.Option) is not null).ToDictionary(i => i.Name, i => r.GetValue(i.Option)!))));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string checkpoint, string? config, string? preset, string output, bool ema,
        IReadOnlyDictionary<string, string>? inputs = null)
    {
        if ((config is null) == (preset is null)) throw new UsageException("give exactly one of --config <yaml> and --preset <name>");
        inputs ??= new Dictionary<string, string>();
        Paths.CheckOutput(output, ".safetensors");
        OutputGuard.Prepare(output, [checkpoint, config, .. inputs.Values]);
        var family = ModelFamilies.ForConversion(config, preset);
        var unknown = inputs.Keys.Except(family.ConversionInputs.Select(i => i.Name)).ToArray();
        if (unknown.Length > 0)
            throw new UsageException($"{string.Join(", ", unknown.Select(k => "--" + k))} {(unknown.Length == 1 ? "does" : "do")} not apply to {family.Name} models");
        MissingModel.ThrowIfMissingCheckpoint(checkpoint);
        var result = family.Convert(new ConversionRequest
        {
            Checkpoint = checkpoint,
            ConfigFile = config,
            Preset = preset,
            Output = output,
            UseEma = ema,
            Inputs = inputs,
            Progress = ctx.Progress,
        });
        ctx.Out.WriteLine($"{result.Config.Name} ({family.Name}): {result.Parameters:N0} parameters from {checkpoint} -> {output}");
        return ExitCode.Ok;
    }
}
