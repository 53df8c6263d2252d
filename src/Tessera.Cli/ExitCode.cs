namespace Tessera.Cli;

/// <summary>Process exit codes of the tessera command.</summary>
internal enum ExitCode
{
    Ok = 0,
    Failure = 1,
    UsageError = 2,
    InvalidInput = 3,
    CheckpointError = 4,
}
