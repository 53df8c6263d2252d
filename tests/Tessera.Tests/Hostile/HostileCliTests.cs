using System.Diagnostics;
using System.Runtime.InteropServices;
using Tessera.Checkpoints;
using Tessera.Cli;
using Tessera.Evaluation;
using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Tests.Cli;
using Tessera.Tests.Inference;
using Tessera.Tokens;
using static TorchSharp.torch;

namespace Tessera.Tests.Hostile;

/// <summary>Tiny models, inputs and token files the hostile CLI tests share (16x16 frames, 8-channel models: fast).</summary>
internal sealed class HostileFiles : IDisposable
{
    public TempDir Dir { get; } = new();
    public string Model { get; }
    public string KlModel { get; }
    public string Image { get; }

    public HostileFiles()
    {
        var shared = Shared.Value;
        Model = Dir.File("tiny.safetensors");
        KlModel = Dir.File("tiny_kl.safetensors");
        Image = Dir.File("frame.png");
        File.Copy(shared.File("tiny.safetensors"), Model);
        File.Copy(shared.File("tiny_kl.safetensors"), KlModel);
        File.Copy(shared.File("frame.png"), Image);
    }

    // The models are made once per test process: every model built draws from libtorch's global generator, which
    // tests that compare seeded training runs share.
    private static readonly Lazy<TempDir> Shared = new(() =>
    {
        var dir = new TempDir();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dir.Dispose();
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_0)) VidTokWeights.Save(dir.File("tiny.safetensors"), m);
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_0, fsq: false)) VidTokWeights.Save(dir.File("tiny_kl.safetensors"), m);
        File.WriteAllBytes(dir.File("frame.png"), Png.Encode(Enumerable.Range(0, 16 * 16 * 3).Select(i => (byte)(i * 13)).ToArray(), 16, 16));
        return dir;
    });

    public static VidTokConfig Fsq => TinyModels.Config(VidTokFamily.CausalV1_0);
    public static VidTokConfig Kl => TinyModels.Config(VidTokFamily.CausalV1_0, fsq: false);

    /// <summary>A token file of one frame (a 1x2x2 grid), then <paramref name="change"/> applied to its metadata.</summary>
    public string Tokens(string name, Action<Dictionary<string, string>>? change = null, long[]? shape = null, string? model = null)
    {
        var path = Dir.File(name);
        using (var ids = zeros(shape ?? [1, 1, 2, 2], ScalarType.Int32))
        using (var code = new TokenIds(ids.alias(), Fsq, 1))
            TokenFile.Save(path, code, new TokenFileInfo { Fps = 8, ModelSource = model ?? Model });
        if (change is not null) Rewrite(path, change);
        return path;
    }

    public static void Rewrite(string path, Action<Dictionary<string, string>> change)
    {
        using var sd = SafeTensorsFile.Load(path);
        var meta = new Dictionary<string, string>(sd.Metadata);
        change(meta);
        SafeTensorsFile.Save(path, sd.Select(kv => (kv.Key, kv.Value)).ToList(), meta);
    }

    public void Dispose() => Dir.Dispose();
}

/// <summary>The command line against outputs that are inputs, hostile token-file metadata, signals and odd output names.</summary>
[DisposeScopePerTest]
public sealed class HostileCliTests : IDisposable
{
    private readonly HostileFiles f = new();
    private TempDir Dir => f.Dir;

    public void Dispose() => f.Dispose();

    private static void Ln(params string[] args)
    {
        using var p = Process.Start("ln", args)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public void Decode_OutputIsTheTokenFile_RefusedAndTokensIntact()
    {
        var tokens = f.Tokens("t.safetensors");
        var before = File.ReadAllBytes(tokens);
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, tokens);
        var link = Dir.File("link.safetensors");
        File.CreateSymbolicLink(link, tokens);
        var hard = Dir.File("hard.safetensors");
        Ln(tokens, hard);
        foreach (var output in new[] { tokens, relative, link, hard })
        {
            var r = CliRunner.Run("decode", tokens, "-o", output);
            Assert.True(r.ExitCode == 2, $"{output}: {r.ExitCode} {r.Error}");
            Assert.Contains("is the input", r.Error);
            Assert.Equal(before, File.ReadAllBytes(tokens));
        }
    }

    [Fact]
    public void Reconstruct_OutputIsTheInput_RefusedAndInputIntact()
    {
        var before = File.ReadAllBytes(f.Image);
        var r = CliRunner.Run("reconstruct", f.Image, "-m", f.Model, "-o", f.Image);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("is the input", r.Error);
        Assert.Equal(before, File.ReadAllBytes(f.Image));
        var model = File.ReadAllBytes(f.Model);
        var e = CliRunner.Run("encode", f.Image, "-m", f.Model, "-o", f.Model);
        Assert.Equal(2, e.ExitCode);
        Assert.Equal(model, File.ReadAllBytes(f.Model));
    }

    [Fact]
    public void BundledModel_CanBeNamed()
    {
        var r = CliRunner.Run("info", "tessera_small_fsq_causal_488_4096");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("FSQ", r.Out);
        var out1 = Dir.File("bundled.safetensors");
        var e = CliRunner.Run("encode", f.Image, "-m", "tessera_small_fsq_causal_488_4096", "-o", out1);
        Assert.True(e.ExitCode == 0, e.Error);
    }

    [Fact]
    public void Decode_MetadataNamingAFifoOrDeviceOrRelativePath_IsNotOpened()
    {
        var fifo = Dir.File("model.fifo");
        using (var p = Process.Start("mkfifo", [fifo])!) p.WaitForExit();
        foreach (var named in new[] { fifo, "/dev/stdin", "/dev/zero", "relative/model.safetensors" })
        {
            var tokens = f.Tokens("meta.safetensors", m => m["model_source"] = named);
            var watch = Stopwatch.StartNew();
            var r = CliRunner.Run("decode", tokens, "-o", Dir.File("out.safetensors"));
            Assert.True(r.ExitCode == 3, $"{named}: {r.ExitCode} {r.Error}");
            Assert.Contains("meta.safetensors", r.Error);
            Assert.Contains("--model", r.Error);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20));
            Assert.False(File.Exists(Dir.File("out.safetensors")));
        }
    }

    [Fact]
    public void Cancelled_Encode_Exits130Or143_AndWritesNothing()
    {
        var output = Dir.File("cancelled.safetensors");
        foreach (var code in new[] { 130, 143 })
        {
            using var cancel = new CliCancellation();
            cancel.Cancel(code);
            var r = TesseraCli.Run(["encode", f.Image, "-m", f.Model, "-o", output], new StringWriter(), new StringWriter(), cancel);
            Assert.Equal(code, r);
            Assert.False(File.Exists(output));
            Assert.DoesNotContain(Dir.Entries(), e => e.Contains(".tmp", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void StaleTemporaries_AreCleanedOnTheNextRun_FreshOnesKept()
    {
        var stale = Dir.File($".out.safetensors.{Guid.NewGuid():N}.tmp");
        var staleDir = Dir.File($".frames.{Guid.NewGuid():N}.tmp");
        var staleVideo = Dir.File($".v.mp4.{Guid.NewGuid():N}.tmp.mp4");
        var fresh = Dir.File($".other.safetensors.{Guid.NewGuid():N}.tmp");
        var unrelated = Dir.File(".keep.tmp");
        foreach (var p in new[] { stale, staleVideo, fresh, unrelated }) File.WriteAllText(p, "x");
        Directory.CreateDirectory(staleDir);
        File.WriteAllText(Path.Combine(staleDir, "frame_000000.png"), "x");
        var old = DateTime.UtcNow - TimeSpan.FromHours(1);
        File.SetLastWriteTimeUtc(stale, old);
        File.SetLastWriteTimeUtc(staleVideo, old);
        File.SetLastWriteTimeUtc(unrelated, old);
        Directory.SetLastWriteTimeUtc(staleDir, old);
        var r = CliRunner.Run("encode", f.Image, "-m", f.Model, "-o", Dir.File("out.safetensors"));
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.False(File.Exists(stale));
        Assert.False(File.Exists(staleVideo));
        Assert.False(Directory.Exists(staleDir));
        Assert.True(File.Exists(fresh));
        Assert.True(File.Exists(unrelated));
    }

    [Fact]
    public void FrameFolderOutput_WithPercent_Works()
    {
        var tokens = f.Tokens("p.safetensors");
        var output = Dir.File("100%_frames") + "/";
        var r = CliRunner.Run("decode", tokens, "-o", output);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.True(File.Exists(Path.Combine(output, "frame_000000.png")));
    }

    [Fact]
    public void ErrorMessages_NameTheOutputNotTheTemporary()
    {
        var msg = CliContext.Describe(new IOException($"Permission denied: '/data/out/.clip.mp4.{Guid.NewGuid():N}.tmp.mp4'"));
        Assert.Equal("Permission denied: '/data/out/clip.mp4'", msg);
    }

    [Fact]
    public void UnexpectedExceptions_AreOneLineMessagesWithExitCodes()
    {
        var ctx = new CliContext(new StringWriter(), new StringWriter());
        Assert.Equal(3, ctx.Run(() => throw new OverflowException("Arithmetic operation resulted in an overflow.")));
        Assert.Equal(3, ctx.Run(() => throw new ArgumentException("bad")));
        Assert.Equal(1, ctx.Run(() => throw new ExternalException("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: not enough memory\nException raised from allocate\nframe #0: c10::...")));
        Assert.Equal(1, ctx.Run(() => throw new OutOfMemoryException()));
        Assert.Equal(1, ctx.Run(() => throw new NullReferenceException()));
        var error = ctx.Error.ToString()!;
        Assert.DoesNotContain("frame #0", error);
        Assert.DoesNotContain("   at ", error);
        Assert.Contains("not enough memory", error);
    }

    [Fact]
    public void EvalResultNames_DoNotCollideAfterSanitising()
    {
        Assert.NotEqual(EvalOutput.Stem("a b.mp4"), EvalOutput.Stem("a_b.mp4"));
        Assert.NotEqual(EvalOutput.Stem("a/b.mp4"), EvalOutput.Stem("a__b.mp4"));
        Assert.NotEqual(EvalOutput.Stem("a_/b.mp4"), EvalOutput.Stem("a/_b.mp4"));
        Assert.Equal("sub__b.mkv", EvalOutput.Stem("sub/b.mkv"));
        Assert.Equal("a_b.mp4", EvalOutput.Stem("a_b.mp4"));
    }
}

/// <summary>Token files whose content or metadata would decode to garbage or to gigabytes: refused when read.</summary>
[DisposeScopePerTest]
public sealed class HostileTokenFileTests : IDisposable
{
    private readonly HostileFiles f = new();

    public void Dispose() => f.Dispose();

    private TokenFileFormatException Refused(string path)
    {
        var e = Assert.Throws<TokenFileFormatException>(() => { var (code, _) = TokenFile.Load(path); code.Dispose(); });
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void NaNLatents_AreRefused()
    {
        var path = f.Dir.File("nan.safetensors");
        using (var z = full([1, 4, 1, 2, 2], double.NaN))
        using (var code = new Latents(z.alias(), HostileFiles.Kl, 1))
            TokenFile.Save(path, code, new TokenFileInfo());
        Assert.Contains("NaN", Refused(path).Message);
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("0")]
    [InlineData("NaN")]
    public void NonPositiveFps_IsRefused(string fps) =>
        Assert.Contains("fps", Refused(f.Tokens("fps.safetensors", m => m["fps"] = fps)).Message);

    [Fact]
    public void EmptyGrid_IsRefused() => Assert.Contains("empty", Refused(f.Tokens("empty.safetensors", shape: [1, 0, 2, 2])).Message);

    [Fact]
    public void HugeGrid_IsRefusedBeforeDecoding() => Assert.Contains("limit", Refused(f.Tokens("huge.safetensors", shape: [1, 1, 512, 512])).Message);

    [Fact]
    public void FrameCountsBeyondTheLatents_AreRefusedWithoutNegativeNumbers()
    {
        var e = Refused(f.Tokens("frames.safetensors", m => m["frames"] = "2147483647"));
        Assert.DoesNotContain("-2147", e.Message);
        Assert.Contains("2147483647 frames", e.Message);
    }
}
