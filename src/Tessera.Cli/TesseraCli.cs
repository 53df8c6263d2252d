using System.CommandLine;
using Tessera.Cli.Commands;

namespace Tessera.Cli;

/// <summary>The tessera command line: composes the commands and maps parse errors to exit code 2.</summary>
internal static class TesseraCli
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, stdout, stderr, null);

    /// <summary>Runs one command line; <paramref name="cancellation"/> (signals, or a test) stops it early.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CliCancellation? cancellation) =>
        Run(args, stdout, stderr, cancellation, interactive: null);

    /// <summary>As above; <paramref name="interactive"/> says whether stderr is a terminal (null: ask the console).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CliCancellation? cancellation, bool? interactive) =>
        Run(args, stdout, stderr, cancellation, interactive, hub: null);

    /// <summary>As above; <paramref name="hub"/> replaces the Hub settings the environment gives (HF_ENDPOINT, HF_HUB_CACHE, …).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CliCancellation? cancellation, bool? interactive, Tessera.Checkpoints.Hub.HubSettings? hub)
    {
        var previous = (CliCancellation.Current, ModelArgument.Current);
        CliCancellation.Current = cancellation;
        ModelArgument.Current = hub;
        try
        {
            return RunCommand(args, stdout, stderr, interactive);
        }
        finally
        {
            (CliCancellation.Current, ModelArgument.Current) = previous;
        }
    }

    private static int RunCommand(string[] args, TextWriter stdout, TextWriter stderr, bool? interactive)
    {
        var ctx = new CliContext(stdout, stderr, interactive);
        // A plain command named like the installed tool: RootCommand would take the assembly's name (Tessera.Cli).
        var root = new Command("tessera", "Tessera: video tokenizers for .NET — encode videos into tokens or latents and back")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
            EncodeCommand.Create(ctx),
            DecodeCommand.Create(ctx),
            ReconstructCommand.Create(ctx),
            ConvertCommand.Create(ctx),
            WordsCommand.Create(ctx),
            PresetsCommand.Create(ctx),
            InfoCommand.Create(ctx),
            AnnotateCommand.Create(ctx),
            TrainCommand.CreateTrain(ctx),
            TrainCommand.CreateFinetune(ctx),
            EvalCommand.Create(ctx),
            CodebookCommand.Create(ctx),
            CheckCommand.Create(ctx),
            DatasetCommand.Create(ctx),
            DatasetCommand.Stats(ctx, "stats"),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) stderr.WriteLine($"error: {e.Message}");
            stderr.WriteLine("run 'tessera --help' for usage");
            return (int)ExitCode.UsageError;
        }
        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
