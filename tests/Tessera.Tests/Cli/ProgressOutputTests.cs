using Tessera.Cli;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;

namespace Tessera.Tests.Cli;

/// <summary>encode, decode and reconstruct draw live progress on a terminal only, and nothing with --quiet.</summary>
[DisposeScopePerTest]
public sealed class ProgressOutputTests
{
    private const string ProgressMark = "steps/s";

    private static CliResult Run(bool interactive, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = TesseraCli.Run(args, stdout, stderr, null, interactive);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    private static (TempDir Dir, string Model, string Frames) Setup()
    {
        var dir = new TempDir();
        var model = dir.File("tiny.safetensors");
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_1)) VidTokWeights.Save(model, m);
        return (dir, model, TestPaths.Fixture("VidTok", "v1_0_fsq_ckpt", "frames"));
    }

    [Fact]
    public void Terminal_ShowsEncodeAndDecodeProgress()
    {
        var (dir, model, frames) = Setup();
        using (dir)
        {
            var r = Run(true, "reconstruct", frames, "-m", model, "--size", "16");
            Assert.True(r.ExitCode == 0, r.Error);
            Assert.Contains($"encode 100% (step", r.Error);
            Assert.Contains($"decode 100% (step", r.Error);
            Assert.Contains("s left", r.Error);
            Assert.DoesNotContain(ProgressMark, r.Out);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RedirectedOrQuiet_WritesNoProgress(bool quiet)
    {
        var (dir, model, frames) = Setup();
        using (dir)
        {
            string[] Args(params string[] a) => quiet ? [.. a, "--quiet"] : a;
            var interactive = quiet;   // --quiet silences even a terminal; without it, a redirected stderr stays free of progress
            var tokens = dir.File("t.safetensors");
            var results = new[]
            {
                Run(interactive, Args("encode", frames, "-m", model, "--size", "16", "-o", tokens)),
                Run(interactive, Args("decode", tokens, "-o", dir.File("out.safetensors"))),
                Run(interactive, Args("reconstruct", frames, "-m", model, "--size", "16")),
            };
            foreach (var r in results)
            {
                Assert.True(r.ExitCode == 0, r.Error);
                Assert.DoesNotContain(ProgressMark, r.Error);
                Assert.DoesNotContain('\r', r.Error);
                if (quiet) Assert.Equal("", r.Error);
                Assert.NotEqual("", r.Out);   // results still appear
            }
        }
    }
}
