using System.CommandLine;
using Tessera.Models;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera convert</c>: official checkpoint + config → self-describing Tessera model file. The family comes from
/// the config file (or preset); it declares any extra inputs it needs, which appear here as options. --about records
/// how the model was trained in its metadata (<see cref="ModelAbout"/>).
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
        var about = CommonOptions.About(required: false);
        var half = new Option<bool>("--half") { Description = "Store the float32 weights as float16: half the file; they load back into float32 (rounded to 11 significant bits)" };
        var inputs = ModelFamilies.All.SelectMany(f => f.ConversionInputs)
            .DistinctBy(i => i.Name)
            .Select(i => (i.Name, Option: new Option<string>("--" + i.Name) { Description = i.Description }))
            .ToArray();
        var command = new Command("convert", "Convert official weights into a Tessera model file (safetensors with its config)")
        {
            checkpoint, config, preset, output, ema, about, half,
        };
        foreach (var (_, option) in inputs) command.Add(option);
        command.SetAction(r => ctx.Run(() => Run(ctx, r.GetValue(checkpoint)!, r.GetValue(config), r.GetValue(preset), r.GetValue(output)!, r.GetValue(ema),
            inputs.Where(i => r.GetValue(i.Option) is not null).ToDictionary(i => i.Name, i => r.GetValue(i.Option)!), r.GetValue(about), r.GetValue(half))));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string checkpoint, string? config, string? preset, string output, bool ema,
        IReadOnlyDictionary<string, string>? inputs = null, string? aboutFile = null, bool half = false)
    {
        if ((config is null) == (preset is null)) throw new UsageException("give exactly one of --config <yaml> and --preset <name>");
        inputs ??= new Dictionary<string, string>();
        Paths.CheckOutput(output, ".safetensors");
        OutputGuard.Prepare(output, [checkpoint, config, aboutFile, .. inputs.Values]);
        var about = aboutFile is null ? null : ModelAbout.Read(aboutFile);
        var family = ModelFamilies.ForConversion(config, preset);
        var unknown = inputs.Keys.Except(family.ConversionInputs.Select(i => i.Name)).ToArray();
        if (unknown.Length > 0)
            throw new UsageException($"{string.Join(", ", unknown.Select(k => "--" + k))} {(unknown.Length == 1 ? "does" : "do")} not apply to {family.Name} models");
        MissingModel.ThrowIfMissingCheckpoint(checkpoint);
        // With --about or --half the family writes a hidden temporary beside the output, which becomes the output with
        // the about keys added or the weights halved: the output appears only complete.
        var written = about is null && !half ? output : OutputGuard.TemporaryFor(output);
        ConversionResult result;
        try
        {
            result = family.Convert(new ConversionRequest
            {
                Checkpoint = checkpoint,
                ConfigFile = config,
                Preset = preset,
                Output = written,
                UseEma = ema,
                Inputs = inputs,
                Progress = ctx.Progress,
            });
            if (half) Tessera.Checkpoints.HalfStorage.Rewrite(written, about is null ? output : written);
            if (about is not null) ModelAbout.Write(written, output, about);
        }
        finally
        {
            if (written != output) File.Delete(written);
        }
        ctx.Out.WriteLine($"{result.Config.Name} ({family.Name}): {result.Parameters:N0} parameters from {checkpoint} -> {output}{(half ? " (float16 storage)" : "")}");
        return ExitCode.Ok;
    }
}
