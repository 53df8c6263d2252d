using Tessera.Checkpoints;

namespace Tessera.Cli;

/// <summary>Where a command writes, and the mapping from Tessera's errors to exit codes.</summary>
public sealed class CliContext(TextWriter stdout, TextWriter stderr)
{
    public TextWriter Out { get; } = stdout;
    public TextWriter Error { get; } = stderr;

    /// <summary>Runs a command body; reports a failure as one clear line on stderr and returns its exit code.</summary>
    public int Run(Func<ExitCode> body)
    {
        try
        {
            return (int)body();
        }
        catch (Exception e) when (Classify(e) is { } code)
        {
            Error.WriteLine($"error: {e.Message}");
            return (int)code;
        }
    }

    public static ExitCode? Classify(Exception e) => e switch
    {
        InvalidVideoException or InvalidInputException or TokenFileFormatException => ExitCode.InvalidInput,
        CheckpointFormatException or ConfigException => ExitCode.CheckpointError,
        UsageException => ExitCode.UsageError,
        IOException or UnauthorizedAccessException or Training.TrainingDivergedException => ExitCode.Failure,
        _ => null,
    };

    public void Progress(string message) => Error.WriteLine(message);
}

/// <summary>A command line that parses but does not make sense (conflicting or missing options).</summary>
public sealed class UsageException(string message) : Exception(message);
