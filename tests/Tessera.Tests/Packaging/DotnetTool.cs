using System.Diagnostics;

namespace Tessera.Tests.Packaging;

/// <summary>The <c>dotnet</c> host the tests run under, for packing and installing from a test.</summary>
internal static class DotnetTool
{
    /// <summary>The dotnet executable (DOTNET_HOST_PATH, set by the SDK for child processes, else the first on PATH), or null.</summary>
    public static string? Path { get; } = Locate();

    private static string? Locate()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(dir, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// Runs a program to completion and returns its exit code and output (stdout then stderr). The MSBuild variables of the
    /// test's own build are dropped so a nested build evaluates as from a shell; <paramref name="environment"/> adds more.
    /// </summary>
    public static (int ExitCode, string Output) Run(string program, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit();
            return (-1, $"timed out after {timeout}: {program} {string.Join(' ', args)}\n{stdout.Result}\n{stderr.Result}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>A fact skipped (with the reason) when no <c>dotnet</c> host can be found to pack and install with.</summary>
public sealed class DotnetFactAttribute : FactAttribute
{
    public DotnetFactAttribute()
    {
        if (DotnetTool.Path is null) Skip = "needs the dotnet host (DOTNET_HOST_PATH or dotnet on PATH) to pack and install packages";
    }
}
