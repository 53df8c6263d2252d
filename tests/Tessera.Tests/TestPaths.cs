using System.Diagnostics;

namespace Tessera.Tests;

/// <summary>Locates the repository, the shared data folder and optional tools (system Python) for tests.</summary>
public static class TestPaths
{
    private static readonly Lazy<string?> _repoRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Tessera.slnx"))) return dir.FullName;
        return null;
    });

    /// <summary>The folder holding Tessera.slnx, or null when tests run outside a checkout.</summary>
    public static string? RepoRoot => _repoRoot.Value;

    /// <summary>Set to 1 to run the suite as on a fresh clone without <c>../shared</c> beside it (every test needing it skips).</summary>
    public const string NoSharedVariable = "TESSERA_NO_SHARED";

    /// <summary><c>&lt;repo root&gt;/../shared</c> when it exists (and <see cref="NoSharedVariable"/> is not 1), else null.</summary>
    public static string? SharedDir
    {
        get
        {
            if (RepoRoot is null || Environment.GetEnvironmentVariable(NoSharedVariable) == "1") return null;
            var shared = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
            return Directory.Exists(shared) ? shared : null;
        }
    }

    /// <summary>Why <see cref="SharedDir"/> is null, for skip reasons.</summary>
    public static string SharedAbsence => Environment.GetEnvironmentVariable(NoSharedVariable) == "1"
        ? $"{NoSharedVariable}=1 hides it"
        : "no folder 'shared' beside the repository";

    /// <summary>A path below the shared folder if it exists, else null.</summary>
    public static string? Shared(params string[] parts)
    {
        if (SharedDir is null) return null;
        var p = Path.Combine([SharedDir, .. parts]);
        return File.Exists(p) || Directory.Exists(p) ? p : null;
    }

    /// <summary>tests/Tessera.Tests/Fixtures/&lt;parts&gt; in the source tree.</summary>
    public static string Fixture(params string[] parts)
        => Path.Combine([RepoRoot ?? throw new InvalidOperationException("repository root (Tessera.slnx) not found"), "tests", "Tessera.Tests", "Fixtures", .. parts]);

    /// <summary>The system Python used to cross-check file formats (Debian packages, not pyenv).</summary>
    public const string SystemPython = "/usr/bin/python3";

    private static readonly Dictionary<string, bool> _modules = new();

    /// <summary>True when <see cref="SystemPython"/> can import every listed module.</summary>
    public static bool PythonHas(params string[] modules)
    {
        var key = string.Join(",", modules);
        lock (_modules)
        {
            if (_modules.TryGetValue(key, out var ok)) return ok;
            ok = File.Exists(SystemPython) && RunPython(string.Join("\n", modules.Select(m => $"import {m}")), out _, out _, 120_000) == 0;
            _modules[key] = ok;
            return ok;
        }
    }

    /// <summary>Runs a script with the system Python; returns the exit code (-1 on timeout).</summary>
    public static int RunPython(string script, out string stdout, out string stderr, int timeoutMs = 60_000, params string[] args)
    {
        var psi = new ProcessStartInfo(SystemPython) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            stdout = ""; stderr = "timeout";
            return -1;
        }
        stdout = o.Result;
        stderr = e.Result;
        return p.ExitCode;
    }
}

/// <summary>A fact skipped (with the reason) when the system Python lacks one of the given modules.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute(params string[] modules)
    {
        if (!TestPaths.PythonHas(modules))
            Skip = $"needs {TestPaths.SystemPython} with the Python module(s) {string.Join(", ", modules)}, not importable here";
    }
}

/// <summary>A fact skipped (with the reason) when a path below the shared folder (../shared) is missing.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute(params string[] relativePaths)
    {
        var missing = relativePaths.Where(p => TestPaths.Shared(p) is null).ToList();
        if (missing.Count > 0)
            Skip = TestPaths.SharedDir is null
                ? $"needs ../shared ({string.Join(", ", relativePaths)}): {TestPaths.SharedAbsence}"
                : $"needs shared file(s) missing from ../shared: {string.Join(", ", missing)}";
    }
}

/// <summary>A theory skipped (with the reason) when the listed paths below shared/ are absent.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute(params string[] relativePaths)
    {
        var missing = relativePaths.Where(p => TestPaths.Shared(p) is null).ToArray();
        if (missing.Length > 0)
            Skip = TestPaths.SharedDir is null
                ? $"needs ../shared ({string.Join(", ", relativePaths)}): {TestPaths.SharedAbsence}"
                : $"needs shared file(s) missing from ../shared: {string.Join(", ", missing)}";
    }
}
