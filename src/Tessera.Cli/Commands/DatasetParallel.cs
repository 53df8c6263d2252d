using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera dataset encode plan/ --parallel K</c>: runs every shard of a plan as its own process of this same tessera,
/// at most K at a time with the cores split between them, and shows one progress line for all. Each shard process
/// writes exactly what <c>--shard I</c> writes, so resuming and verification work as for scheduler-run shards.
/// </summary>
internal static partial class DatasetParallel
{
    public static ExitCode Run(CliContext ctx, int shards, int parallel, int threads, Func<int, int, IReadOnlyList<string>> shardArguments)
    {
        if (parallel <= 0) throw new UsageException($"--parallel must be positive, got {parallel}");
        var running = Math.Min(parallel, shards);
        var perShard = Math.Max(1, (threads > 0 ? threads : Environment.ProcessorCount) / running);
        var done = new int[shards];
        var total = new int[shards];
        var finished = 0;
        var failures = new List<string>();
        var gate = new object();
        var next = 0;

        void Report()
        {
            var clips = done.Sum();
            var planned = total.Sum();
            ctx.Progress(string.Create(CultureInfo.InvariantCulture,
                $"{finished}/{shards} shards done, {running} processes x {perShard} threads; {clips} clips encoded{(planned > 0 ? $" of the running shards' {planned}" : "")}"));
        }

        void Worker()
        {
            while (true)
            {
                int shard;
                lock (gate)
                {
                    if (next >= shards || failures.Count > 0) return;
                    shard = next++;
                }
                var (code, output, error) = Launch(shardArguments(shard, perShard), line =>
                {
                    if (ShardProgress().Match(line) is not { Success: true } m || int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) != shard) return;
                    lock (gate)
                    {
                        done[shard] = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                        total[shard] = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
                        Report();
                    }
                });
                lock (gate)
                {
                    finished++;
                    ctx.Out.Write(output);
                    if (code != 0) failures.Add($"shard {shard} failed (exit code {code}): {LastLine(error)}");
                    Report();
                }
            }
        }

        var workers = Enumerable.Range(0, running).Select(_ => new Thread(Worker) { IsBackground = true }).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        if (failures.Count == 0) return ExitCode.Ok;
        foreach (var f in failures) ctx.Error.WriteLine($"error: {f}");
        throw new InvalidInputException($"{failures.Count} of {shards} shard processes failed (above); finished shards are kept, so rerunning the same command resumes the rest");
    }

    private static string LastLine(string error)
    {
        var line = error.Trim().Split('\n')[^1].Trim();
        return line.StartsWith("error: ", StringComparison.Ordinal) ? line["error: ".Length..] : line;
    }

    /// <summary>This tessera: the apphost beside the assembly, or <c>dotnet Tessera.Cli.dll</c>.</summary>
    private static ProcessStartInfo Self()
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Tessera.Cli.exe" : "Tessera.Cli");
        if (File.Exists(apphost)) return new ProcessStartInfo(apphost);
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(typeof(DatasetParallel).Assembly.Location);
        return start;
    }

    private static (int Code, string Output, string Error) Launch(IReadOnlyList<string> args, Action<string> onErrorLine)
    {
        var start = Self();
        start.RedirectStandardError = true;
        start.RedirectStandardOutput = true;
        start.UseShellExecute = false;
        foreach (var a in args) start.ArgumentList.Add(a);
        // The shard comes from --shard; a scheduler's index in this environment must not override nor confuse it.
        foreach (var name in DatasetCommand.ShardVariables) start.Environment.Remove(name);
        using var p = Process.Start(start) ?? throw new IOException("could not start a shard process");
        var error = new System.Text.StringBuilder();
        var stdout = p.StandardOutput.ReadToEndAsync();
        string? line;
        while ((line = p.StandardError.ReadLine()) is not null)
        {
            error.AppendLine(line);
            onErrorLine(line);
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, error.ToString());
    }

    [GeneratedRegex(@"^shard (\d+): (\d+)/(\d+) clips$")]
    private static partial Regex ShardProgress();
}
