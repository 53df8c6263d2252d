using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Tessera.Checkpoints;
using Tessera.Evaluation;
using Tessera.Models.VidTok;
using Tessera.Quantizers;
using Tessera.Tests.Cli;
using static TorchSharp.torch;

namespace Tessera.Tests.Hostile;

/// <summary>
/// The hostile-input sweep: each crafted file through the tessera binary, in a process of its own, ends with exit code
/// 1–4, a message that names the file and no stack trace, leaves no temporary behind, leaves an existing output
/// untouched, and peaks under 2 GiB of resident memory (reported by the process itself, TESSERA_PEAK_MEMORY_FILE).
/// </summary>
[DisposeScopePerTest]
public sealed class HostileSweepTests : IClassFixture<HostileSweepTests.Files>
{
    public sealed class Files : IDisposable
    {
        internal HostileFiles F { get; } = new();
        public void Dispose() => F.Dispose();
    }

    private readonly HostileFiles f;

    public HostileSweepTests(Files files) => f = files.F;

    public static TheoryData<string> Cases => new(
        "recursive-alias.yaml", "self-merge.yaml", "interp-chain.yaml", "billion-laughs.yaml", "exp-interp.yaml", "deep-nesting.yaml",
        "ch2048.yaml", "ch2048.safetensors", "fsq-overflow.safetensors", "chmult40.safetensors",
        "bomb.npz", "ratio.ckpt", "stride0.pt", "marks.pt",
        "thin.png", "huge.y4m", "garbage.mp4",
        "nan-latents.safetensors", "negative-fps.safetensors", "empty-grid.safetensors", "huge-grid.safetensors",
        "huge-frames.safetensors", "fifo-model.safetensors", "relative-model.safetensors");

    private static string TinyYaml => File.ReadAllText(TestPaths.Fixture("VidTok", "v1_0_fsq_ckpt", "model.yaml"));

    /// <summary>Writes the crafted file into <paramref name="dir"/>; returns it and the command line that reads it.</summary>
    private (string File, string[] Args) Craft(string name, string dir, string output)
    {
        var p = Path.Combine(dir, name);
        string[] Encode(string input, string model, string? weights = null, params string[] extra) =>
            ["encode", input, "-m", model, .. weights is null ? Array.Empty<string>() : ["-w", weights], "-o", output, .. extra];
        string[] Decode(string tokens) => ["decode", tokens, "-o", output];
        string[] YamlModel(string yaml)
        {
            File.WriteAllText(p, yaml);
            return Encode(f.Image, p, f.Model);
        }
        string[] Metadata(VidTokConfig config)
        {
            File.Copy(f.Model, p);
            HostileFiles.Rewrite(p, m => m["model_config"] = VidTokConfigJson.Serialize(config));
            return Encode(f.Image, p);
        }
        string[] Weights(byte[] bytes)
        {
            File.WriteAllBytes(p, bytes);
            return Encode(f.Image, TestPaths.Fixture("VidTok", "v1_0_fsq_ckpt", "model.yaml"), p);
        }
        string[] Tokens(Action<Dictionary<string, string>>? change = null, long[]? shape = null)
        {
            File.Copy(f.Tokens("src-" + name, change, shape), p);
            return Decode(p);
        }
        var tiny = HostileFiles.Fsq;
        switch (name)
        {
            case "recursive-alias.yaml": return (p, YamlModel("a: &a [1, *a]\n"));
            case "self-merge.yaml": return (p, YamlModel("a: &a {x: 1, <<: *a}\n"));
            case "interp-chain.yaml":
                return (p, YamlModel("k0: 1\n" + string.Concat(Enumerable.Range(1, 30_000).Select(i => $"k{i}: ${{k{i - 1}}}\n"))));
            case "billion-laughs.yaml":
                return (p, YamlModel("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n" + string.Concat(Enumerable.Range(1, 9).Select(i =>
                    $"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]\n"))));
            case "exp-interp.yaml":
                return (p, YamlModel("a0: xxxxxxxxxxxxxxxx\n" + string.Concat(Enumerable.Range(1, 40).Select(i => $"a{i}: ${{a{i - 1}}}${{a{i - 1}}}\n"))));
            case "deep-nesting.yaml": return (p, YamlModel("a: " + new string('[', 50_000) + new string(']', 50_000) + "\n"));
            case "ch2048.yaml": return (p, YamlModel(TinyYaml.Replace("        ch: 8\n", "        ch: 2048\n")));
            case "ch2048.safetensors": return (p, Metadata(tiny with { Ch = 2048 }));
            case "fsq-overflow.safetensors": return (p, Metadata(tiny with { Regularizer = new FsqBottleneck([65536, 65536, 65536, 65536]) }));
            case "chmult40.safetensors": return (p, Metadata(tiny with { ChMult = Enumerable.Repeat(1, 40).ToArray() }));
            case "bomb.npz":
                return (p, Weights(HostileArchiveTests.SharedStreamZip(new byte[4 << 20], entries: 64)));
            case "ratio.ckpt":
                return (p, Weights(HostileArchiveTests.SharedStreamZip(new byte[64], entries: 1, declaredSize: 3L << 30)));
            case "stride0.pt":
            {
                using (var zip = ZipFile.Open(p, ZipArchiveMode.Create))
                {
                    byte[] big = [(byte)'J', 0, 0, 0, 0x40];
                    var pkl = new MemoryStream();
                    pkl.Write([0x80, 2, (byte)'}', (byte)'X', 1, 0, 0, 0, (byte)'w']);
                    pkl.Write("ctorch._utils\n_rebuild_tensor_v2\n("u8);
                    pkl.Write("(X\x07\0\0\0storagectorch\nFloatStorage\nX\x01\0\0\00X\x03\0\0\0cpuK\x02tQ"u8);
                    pkl.Write("K\x00"u8); pkl.Write(big); pkl.Write(big); pkl.WriteByte(0x86);
                    pkl.Write("K\x00K\x00"u8); pkl.WriteByte(0x86);
                    pkl.Write([0x89, (byte)'N', (byte)'t', (byte)'R', (byte)'s', (byte)'.']);
                    using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) s.Write(pkl.ToArray());
                    using (var s = zip.CreateEntry("archive/data/0", CompressionLevel.NoCompression).Open()) s.Write(new byte[8]);
                }
                return (p, Encode(f.Image, TestPaths.Fixture("VidTok", "v1_0_fsq_ckpt", "model.yaml"), p));
            }
            case "marks.pt":
            {
                var ms = new MemoryStream();
                ms.Write([0x80, 2, (byte)'(']);
                for (var i = 0; i < 50_000; i++) ms.WriteByte((byte)'N');
                for (var i = 0; i < 50_000; i++) ms.Write("(1"u8);
                ms.Write("l."u8);
                return (p, Weights(ms.ToArray()));
            }
            case "thin.png":
                File.WriteAllBytes(p, Png.Encode(new byte[16384 * 3], 1, 16384));
                return (p, Encode(p, f.Model, null, "--size", "256"));
            case "huge.y4m":
                File.WriteAllBytes(p, Encoding.ASCII.GetBytes("YUV4MPEG2 W8192 H8192 F30:1 Ip A1:1 C420jpeg\nFRAME\n").Concat(new byte[4096]).ToArray());
                return (p, Encode(p, f.Model));
            case "garbage.mp4":
                File.WriteAllBytes(p, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray());
                return (p, Encode(p, f.Model));
            case "nan-latents.safetensors":
            {
                using (var z = full([1, 4, 1, 2, 2], double.NaN))
                using (var code = new Tessera.Inference.Latents(z.alias(), HostileFiles.Kl, 1))
                    Tessera.Tokens.TokenFile.Save(p, code, new Tessera.Tokens.TokenFileInfo { ModelSource = f.KlModel });
                return (p, Decode(p));
            }
            case "negative-fps.safetensors": return (p, Tokens(m => m["fps"] = "-25"));
            case "empty-grid.safetensors": return (p, Tokens(shape: [1, 0, 2, 2]));
            case "huge-grid.safetensors": return (p, Tokens(shape: [1, 1, 512, 512]));
            case "huge-frames.safetensors": return (p, Tokens(m => m["frames"] = "2147483647"));
            case "fifo-model.safetensors":
            {
                var fifo = Path.Combine(dir, "model.fifo");
                if (!File.Exists(fifo)) using (var mk = Process.Start("mkfifo", [fifo])!) mk.WaitForExit();
                return (p, Tokens(m => m["model_source"] = fifo));
            }
            case "relative-model.safetensors":
                // A real model under the relative name in the working directory: still not opened.
                File.Copy(f.Model, Path.Combine(dir, "tiny.safetensors"));
                return (p, Tokens(m => m["model_source"] = "models/../tiny.safetensors"));
            default: throw new ArgumentException(name);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void HostileFile_EndsInAMessageAndExitCode_LeavingOutputsIntact(string name)
    {
        using var dir = new TempDir();
        var output = dir.File("existing-output.safetensors");
        var existing = Encoding.ASCII.GetBytes("an output from an earlier run");
        var (file, args) = Craft(name, dir.Path, output);
        File.WriteAllBytes(output, existing);
        var before = dir.Entries().ToHashSet();

        using var report = new TempDir();
        var peakFile = report.File("peak");
        var r = RunProcess(args, dir.Path, peakFile);

        Assert.True(r.ExitCode is >= 1 and <= 4, $"{name}: exit {r.ExitCode}\n{r.Error}");
        Assert.Contains(Path.GetFileName(file), r.Error);
        Assert.DoesNotContain("   at ", r.Error);
        Assert.DoesNotContain("frame #", r.Error);
        Assert.Equal(existing, File.ReadAllBytes(output));
        Assert.DoesNotContain(dir.Entries(), e => !before.Contains(e));
        if (OperatingSystem.IsLinux())
        {
            Assert.True(File.Exists(peakFile), $"{name}: the process wrote no peak-memory report\n{r.Error}");
            var peak = long.Parse(File.ReadAllText(peakFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(peak < 2L << 30, $"{name}: peak resident memory {peak / (1 << 20)} MiB");
        }
    }

    private static (int ExitCode, string Error) RunProcess(string[] args, string workingDirectory, string peakFile)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Tessera.Cli"), args)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = workingDirectory,
            Environment = { ["TESSERA_PEAK_MEMORY_FILE"] = peakFile },
        };
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        // Generous for a parallel suite on 2 cores, yet well under the minutes a quadratic reader or an unbounded allocation takes.
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"still running after 60 s: {string.Join(' ', args)}");
        }
        p.WaitForExit();
        return (p.ExitCode, stderr.Result + stdout.Result);
    }
}
