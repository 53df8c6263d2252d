using System.CommandLine;
using Tessera.Models.VidTok;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera presets</c>: the official VidTok configurations Tessera knows by name.</summary>
public static class PresetsCommand
{
    public static Command Create(CliContext ctx)
    {
        var command = new Command("presets", "List the 23 official VidTok configurations");
        command.SetAction(_ => ctx.Run(() =>
        {
            var width = VidTokPresets.Names.Max(n => n.Length);
            foreach (var name in VidTokPresets.Names)
                ctx.Out.WriteLine($"{name.PadRight(width)}  {VidTokPresets.GetDescription(name)}");
            return ExitCode.Ok;
        }));
        return command;
    }
}
