using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Tessera.Benchmarks;

/// <summary>
/// The reference VidTok in its own Python process (benchmarks/reference/run_vidtok.py), kept alive so the benchmark
/// can alternate with it: one command per measurement, one JSON line back. Its peak memory is its own process's.
/// </summary>
public sealed class ReferenceRunner : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder stderr = new();

    private ReferenceRunner(Process process) => this.process = process;

    /// <summary>What the runner printed when the model was built (torch version, parameters, loss weights, build time).</summary>
    public JsonElement Ready { get; private set; }

    public static ReferenceRunner Start(string python, string checkout, string preset, int frames, int size, int threads)
    {
        if (!Directory.Exists(Path.Combine(checkout, "vidtok")))
            throw new ArgumentException($"--reference {checkout}: not a VidTok checkout (no vidtok/ folder)");
        var script = FindScript();
        var info = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { script, "--vidtok", checkout, "--preset", preset, "--frames", $"{frames}", "--size", $"{size}", "--threads", $"{threads}" })
            info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info) ?? throw new ArgumentException($"--python {python}: could not start"); }
        catch (System.ComponentModel.Win32Exception e) { throw new ArgumentException($"--python {python}: {e.Message}"); }
        var runner = new ReferenceRunner(process);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (runner.stderr) runner.stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        runner.Ready = runner.Await("ready");
        return runner;
    }

    /// <summary>Encodes the runner's input with the FSQ regulariser's loss terms on (as shipped) or off; seconds.</summary>
    public double Encode(bool entropy) => Command(entropy ? "encode on" : "encode off", "encode").GetProperty("seconds").GetDouble();

    /// <summary>Decodes the ids of the last encode; seconds.</summary>
    public double Decode() => Command("decode", "decode").GetProperty("seconds").GetDouble();

    /// <summary>The runner's peak resident memory (VmHWM, else ru_maxrss), MiB.</summary>
    public double PeakMiB()
    {
        var peak = Command("peak", "peak");
        return peak.GetProperty("vmhwm_mib") is { ValueKind: JsonValueKind.Number } hwm ? hwm.GetDouble() : peak.GetProperty("ru_maxrss_mib").GetDouble();
    }

    private JsonElement Command(string command, string expected)
    {
        process.StandardInput.WriteLine(command);
        process.StandardInput.Flush();
        return Await(expected);
    }

    /// <summary>Reads stdout until a JSON line of the expected event; the reference's own prints are skipped.</summary>
    private JsonElement Await(string expected)
    {
        while (process.StandardOutput.ReadLine() is { } line)
        {
            if (!line.StartsWith('{')) continue;
            JsonElement json;
            try { json = JsonDocument.Parse(line).RootElement; }
            catch (JsonException) { continue; }
            var kind = json.TryGetProperty("event", out var e) ? e.GetString() : null;
            if (kind == expected) return json;
            if (kind == "error") throw new InvalidOperationException($"reference runner: {json.GetProperty("message").GetString()}");
        }
        process.WaitForExit();
        string tail;
        lock (stderr) tail = string.Join('\n', stderr.ToString().Split('\n').TakeLast(15));
        throw new InvalidOperationException($"reference runner exited ({process.ExitCode}) before '{expected}':\n{tail}");
    }

    private static string FindScript()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "benchmarks", "reference", "run_vidtok.py");
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new ArgumentException("benchmarks/reference/run_vidtok.py not found above the current folder or the benchmark binary");
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.WriteLine("quit");
                process.StandardInput.Close();
                if (!process.WaitForExit(30_000)) process.Kill();
            }
        }
        catch (InvalidOperationException) { }
        catch (IOException) { }
        process.Dispose();
    }
}
