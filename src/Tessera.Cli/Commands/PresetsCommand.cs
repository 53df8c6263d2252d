using System.CommandLine;
using Tessera.Models;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera presets</c>: the configurations every registered model family knows by name.</summary>
internal static class PresetsCommand
{
    public static Command Create(CliContext ctx)
    {
        var command = new Command("presets", "List the model configurations Tessera knows by name (the 23 official VidTok ones)");
        command.SetAction(_ => ctx.Run(() =>
        {
            var presets = ModelFamilies.All.SelectMany(f => f.Presets).ToList();
            var width = presets.Max(p => p.Name.Length);
            foreach (var (name, description) in presets)
                ctx.Out.WriteLine($"{name.PadRight(width)}  {description}");
            return ExitCode.Ok;
        }));
        return command;
    }
}
