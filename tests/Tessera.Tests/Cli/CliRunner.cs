using Tessera.Checkpoints.Hub;
using Tessera.Cli;

namespace Tessera.Tests.Cli;

internal sealed record CliResult(int ExitCode, string Out, string Error);

internal static class CliRunner
{
    /// <summary>
    /// Runs a command line in-process. The Hub is offline with an empty cache unless <see cref="RunWithHub"/> gives one, so no
    /// test reaches the network (a preset named without --weights is an official download).
    /// </summary>
    public static CliResult Run(params string[] args) =>
        RunWithHub(new HubSettings { CacheDir = Path.Combine(Path.GetTempPath(), "tessera-tests-no-hub-cache"), Offline = true }, args);

    /// <summary>As <see cref="Run"/> with <paramref name="modelsFolder"/> as the bundled models' folder for this command only.</summary>
    public static CliResult RunWithModels(string modelsFolder, params string[] args)
    {
        using (Tessera.Models.BundledModelFolder.Use(modelsFolder))
            return Run(args);
    }

    public static CliResult RunWithHub(HubSettings hub, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        // `--threads` sets libtorch's thread count, which OpenMP keeps per OS thread: restore this xunit thread's
        // count so a command cannot change the arithmetic (sum order) of whatever test runs on the thread next.
        var threads = TorchSharp.torch.get_num_threads();
        try
        {
            var code = TesseraCli.Run(args, stdout, stderr, null, null, hub);
            return new CliResult(code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            TorchSharp.torch.set_num_threads(threads);
        }
    }
}
