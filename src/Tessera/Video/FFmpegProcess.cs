using System.ComponentModel;
using System.Diagnostics;

namespace Tessera.Video;

/// <summary>
/// Runs ffmpeg/ffprobe as child processes with all three standard streams handled so that no pipe can
/// fill up and deadlock: stderr is always drained on a background task, stdout is either streamed by
/// the caller or drained, stdin is either fed by the caller or closed.
/// </summary>
internal sealed class FFmpegProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;
    private bool _exited;

    private FFmpegProcess(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>Name of the ffmpeg executable; <c>TESSERA_FFMPEG</c> overrides it.</summary>
    public static string FfmpegExecutable => Environment.GetEnvironmentVariable("TESSERA_FFMPEG") is { Length: > 0 } p ? p : "ffmpeg";

    /// <summary>Name of the ffprobe executable; <c>TESSERA_FFPROBE</c> overrides it.</summary>
    public static string FfprobeExecutable => Environment.GetEnvironmentVariable("TESSERA_FFPROBE") is { Length: > 0 } p ? p : "ffprobe";

    public Stream Stdout => _process.StandardOutput.BaseStream;
    public Stream Stdin => _process.StandardInput.BaseStream;

    /// <summary>Starts <paramref name="executable"/>; <paramref name="file"/> is the file the error names if it is missing.</summary>
    public static FFmpegProcess Start(string executable, IEnumerable<string> arguments, string file, bool stdin = false)
    {
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            CreateNoWindow = true,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new Win32Exception($"could not start {executable}");
        }
        catch (Win32Exception e)
        {
            throw new InvalidVideoException(
                $"{file}: cannot run '{executable}' ({e.Message}). ffmpeg/ffprobe must be installed and on PATH " +
                "(Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg), or set TESSERA_FFMPEG / TESSERA_FFPROBE.", e);
        }
        if (!stdin) process.StandardInput.Close();
        return new FFmpegProcess(process);
    }

    /// <summary>Runs to completion, returning (exit code, stdout bytes, stderr text).</summary>
    public static (int ExitCode, byte[] Stdout, string Stderr) Run(string executable, IEnumerable<string> arguments, string file)
    {
        using var p = Start(executable, arguments, file);
        using var ms = new MemoryStream();
        p.Stdout.CopyTo(ms);
        var code = p.WaitForExit(out var err);
        return (code, ms.ToArray(), err);
    }

    /// <summary>Closes stdin if it is open, drains stdout, waits for exit; returns exit code and stderr text.</summary>
    public int WaitForExit(out string stderr)
    {
        try { _process.StandardInput.Close(); } catch (IOException) { } catch (ObjectDisposedException) { }
        try { _process.StandardOutput.BaseStream.CopyTo(Stream.Null); } catch (IOException) { } catch (ObjectDisposedException) { }
        _process.WaitForExit();
        _exited = true;
        stderr = _stderr.GetAwaiter().GetResult().Trim();
        return _process.ExitCode;
    }

    /// <summary>Stops the process (we are done with it) and waits for it.</summary>
    public void Kill()
    {
        if (_exited) return;
        try { if (!_process.HasExited) _process.Kill(); } catch (InvalidOperationException) { } catch (Win32Exception) { }
        WaitForExit(out _);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    /// <summary>The last lines of ffmpeg's stderr, for error messages.</summary>
    public static string Tail(string stderr, int maxChars = 600)
    {
        stderr = stderr.Trim();
        if (stderr.Length == 0) return "no error output";
        return stderr.Length <= maxChars ? stderr : "…" + stderr[^maxChars..];
    }
}
