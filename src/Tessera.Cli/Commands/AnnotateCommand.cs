using System.CommandLine;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera annotate</c>: records how a model was trained (an --about file: training data, budget, held-out figures)
/// in a Tessera model file's metadata, rewriting the file atomically; the weights are not touched.
/// </summary>
internal static class AnnotateCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Argument<string>("model") { Description = "Tessera model file (.safetensors) or a bundled model's name" };
        var about = CommonOptions.About(required: true);
        var output = new Option<string>("--output", "-o") { Description = "Write the annotated model here instead of rewriting the model file in place" };
        var command = new Command("annotate", "Record how a model was trained (training data, budget, held-out PSNR/SSIM) in its model file") { model, about, output };
        command.SetAction(r => ctx.Run(() => Run(ctx, BundledModels.ResolveName(r.GetValue(model)!), r.GetValue(about)!, r.GetValue(output))));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string model, string aboutFile, string? output)
    {
        output ??= model;
        Paths.CheckOutput(output, ".safetensors");
        if (!File.Exists(model)) throw new ConfigException($"model file '{model}' does not exist");
        if (output != model) OutputGuard.Prepare(output, model, aboutFile);
        var about = ModelAbout.Read(aboutFile);
        ModelAbout.Write(model, output, about);
        ctx.Out.WriteLine($"{model}: {string.Join(", ", about.Keys)} from {aboutFile} -> {output}");
        return ExitCode.Ok;
    }
}
