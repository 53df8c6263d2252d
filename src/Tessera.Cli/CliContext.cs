using System.Runtime.InteropServices;
using Tessera.Checkpoints;
using Tessera.Inference;

namespace Tessera.Cli;

/// <summary>Where a command writes, and the mapping from Tessera's errors to exit codes.</summary>
internal sealed class CliContext(TextWriter stdout, TextWriter stderr, bool? interactive = null)
{
    public TextWriter Out { get; } = stdout;
    public TextWriter Error { get; } = stderr;

    /// <summary>Whether stderr is a terminal, where a progress line that redraws itself is welcome (not a log file or pipe).</summary>
    public bool Interactive { get; } = interactive ?? (ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);

    /// <summary>--quiet: no status or progress text on stderr; results and errors still appear.</summary>
    public bool Quiet { get; private set; }

    /// <summary>Whether to draw live progress (with rate and time left): on a terminal, without --quiet.</summary>
    public bool ShowsProgress => Interactive && !Quiet;

    /// <summary>The live progress of encoding and decoding, or null where it would only clutter a log.</summary>
    public IProgress<ChunkProgress>? InferenceProgress() => ShowsProgress ? new ChunkProgressLine(Error) : null;

    /// <summary>Runs a command body that has a --quiet option.</summary>
    public int Run(bool quiet, Func<ExitCode> body)
    {
        Quiet = quiet;
        return Run(body);
    }

    /// <summary>
    /// Runs a command body; reports a failure as one clear line on stderr (never a stack trace) and returns its exit code:
    /// 1–4 for failures, 130/143 when interrupted by SIGINT/SIGTERM.
    /// </summary>
    public int Run(Func<ExitCode> body)
    {
        try
        {
            var code = body();
            CliCancellation.ThrowIfCancelled();
            return (int)code;
        }
        catch (OperationCanceledException) when (CliCancellation.Current is { Token.IsCancellationRequested: true } c)
        {
            Error.WriteLine("error: interrupted; nothing was written");
            return c.ExitCode;
        }
        catch (Exception e)
        {
            var code = Classify(e) ?? ExitCode.Failure;
            Error.WriteLine($"error: {Describe(e)}");
            if (Environment.GetEnvironmentVariable("TESSERA_DEBUG") is "1") Error.WriteLine(e);
            return (int)code;
        }
    }

    public static ExitCode? Classify(Exception e) => e switch
    {
        InvalidVideoException or InvalidInputException or TokenFileFormatException => ExitCode.InvalidInput,
        CheckpointFormatException or ConfigException or Checkpoints.Hub.HubException => ExitCode.CheckpointError,
        UsageException => ExitCode.UsageError,
        IOException or UnauthorizedAccessException or Training.TrainingDivergedException or NumericalException => ExitCode.Failure,
        OverflowException or ArgumentException or InvalidDataException or FormatException => ExitCode.InvalidInput,
        OutOfMemoryException or InsufficientExecutionStackException or ExternalException => ExitCode.Failure,
        _ => null,
    };

    /// <summary>
    /// The message a user sees: Tessera's messages as they are; libtorch's first line only (not its C++ backtrace);
    /// other exceptions prefixed with what kind of failure they are. Hidden temporary names become the output names.
    /// </summary>
    public static string Describe(Exception e)
    {
        var message = e switch
        {
            TesseraException or UsageException or IOException or UnauthorizedAccessException => e.Message,
            OutOfMemoryException => "out of memory (the input asks for more memory than this machine has; try a smaller --size, --frames or --chunk)",
            ExternalException => $"libtorch: {FirstLine(e.Message)} (the input may ask for more memory than this machine has; try a smaller --size, --frames or --chunk)",
            OverflowException => $"a size or count in the input is too large: {FirstLine(e.Message)}",
            ArgumentException or InvalidDataException or FormatException => $"invalid input: {FirstLine(e.Message)}",
            _ => $"internal error ({e.GetType().Name}): {FirstLine(e.Message)} (set TESSERA_DEBUG=1 for details)",
        };
        return OutputGuard.WithoutTemporaryNames(message);
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        var exception = line.IndexOf("Exception raised from", StringComparison.Ordinal);
        return exception > 0 ? line[..exception].Trim() : line;
    }

    /// <summary>A status line ("loading model …", "encoding …"): stderr, unless --quiet.</summary>
    public void Progress(string message)
    {
        if (!Quiet) Error.WriteLine(message);
    }
}

/// <summary>A command line that parses but does not make sense (conflicting or missing options).</summary>
internal sealed class UsageException(string message) : Exception(message);
