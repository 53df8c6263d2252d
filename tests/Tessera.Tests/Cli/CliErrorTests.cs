using Tessera.Checkpoints;
using Tessera.Tests.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Cli;

/// <summary>Bad input ends with one clear message naming the file, the right exit code, and no output file.</summary>
[DisposeScopePerTest]
public sealed class CliErrorTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly string model;
    private readonly GoldenCase golden = GoldenCase.Fixture("v1_0_fsq_ckpt");

    public CliErrorTests()
    {
        model = dir.File("model.safetensors");
        var r = CliRunner.Run("convert", Path.Combine(golden.Dir, "model.ckpt"), "--config", Path.Combine(golden.Dir, "model.yaml"), "--output", model);
        Assert.True(r.ExitCode == 0, r.Error);
    }

    public void Dispose() => dir.Dispose();

    private string[] Outputs() => dir.Entries().Where(e => e != "model.safetensors" && !e.StartsWith("in", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void Encode_CorruptVideo_ExitsInvalidInput()
    {
        var bad = dir.File("in.mp4");
        File.WriteAllBytes(bad, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray());
        var r = CliRunner.Run("encode", bad, "--model", model, "--output", dir.File("out.safetensors"));
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("in.mp4", r.Error);
        Assert.Empty(Outputs());
    }

    [Fact]
    public void Encode_TruncatedCheckpoint_ExitsCheckpointError()
    {
        var ckpt = dir.File("in.ckpt");
        var bytes = File.ReadAllBytes(Path.Combine(golden.Dir, "model.ckpt"));
        File.WriteAllBytes(ckpt, bytes[..(bytes.Length / 2)]);
        var r = CliRunner.Run("encode", Path.Combine(golden.Dir, "frames"), "--model", Path.Combine(golden.Dir, "model.yaml"), "--weights", ckpt, "--output", dir.File("out.safetensors"));
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("in.ckpt", r.Error);
        Assert.Empty(Outputs());
    }

    [Fact]
    public void Convert_HostilePickle_ExecutesNothingAndExitsCheckpointError()
    {
        const string marker = "/tmp/tessera-pwned";
        File.Delete(marker);
        var hostile = TestPaths.Fixture("Checkpoints", "hostile.pt");   // its pickle asks for os.system("touch /tmp/tessera-pwned")
        var r = CliRunner.Run("convert", hostile, "--config", Path.Combine(golden.Dir, "model.yaml"), "--output", dir.File("out.safetensors"));
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("hostile.pt", r.Error);
        Assert.False(File.Exists(marker));
        Assert.Empty(Outputs());
    }

    [Fact]
    public void Encode_MalformedSafetensorsModel_ExitsCheckpointError()
    {
        var bad = dir.File("in.safetensors");
        File.WriteAllBytes(bad, [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, (byte)'{']);
        var r = CliRunner.Run("encode", Path.Combine(golden.Dir, "frames"), "--model", bad, "--output", dir.File("out.safetensors"));
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("in.safetensors", r.Error);
        Assert.Empty(Outputs());
    }

    [Fact]
    public void Convert_BadYaml_ExitsCheckpointErrorNamingTheFile()
    {
        var yaml = dir.File("in.yaml");
        File.WriteAllText(yaml, "model:\n  params: [unclosed\n");
        var r = CliRunner.Run("convert", Path.Combine(golden.Dir, "model.ckpt"), "--config", yaml, "--output", dir.File("out.safetensors"));
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("in.yaml", r.Error);
        Assert.Empty(Outputs());
    }

    [Fact]
    public void Decode_TokensOutOfCodebook_ExitsInvalidInput()
    {
        var tokens = dir.File("in.safetensors");
        using (var ids = full(new long[] { 5, 4, 4 }, 4096, ScalarType.Int32))
            SafeTensorsFile.Save(tokens, [("tokens", ids)]);
        var r = CliRunner.Run("decode", tokens, "--model", model, "--output", dir.File("out.mp4"));
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("in.safetensors", r.Error);
        Assert.Contains("[0, 4096)", r.Error);
        Assert.Empty(Outputs());
    }

    [Fact]
    public void Decode_TokenFileWithWrongRank_ExitsInvalidInput()
    {
        var tokens = dir.File("in.safetensors");
        using (var ids = zeros(new long[] { 5, 16 }, ScalarType.Int32))
            SafeTensorsFile.Save(tokens, [("tokens", ids)]);
        var r = CliRunner.Run("decode", tokens, "--model", model, "--output", dir.File("out.safetensors"));
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("rank 3", r.Error);
        Assert.Empty(Outputs());
    }

    [Fact]
    public void Decode_TokenFileWithoutModel_ExitsUsage()
    {
        var tokens = dir.File("in.safetensors");
        using (var ids = zeros(new long[] { 5, 4, 4 }, ScalarType.Int32))
            SafeTensorsFile.Save(tokens, [("tokens", ids)]);
        var r = CliRunner.Run("decode", tokens, "--output", dir.File("out.safetensors"));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("in.safetensors", r.Error);
        Assert.Empty(Outputs());
    }

    [Fact]
    public void StrictFrames_RefusesV10ClipOfWrongLength()
    {
        var r = CliRunner.Run("encode", Path.Combine(golden.Dir, "frames"), "--model", model, "--frames", "16", "--strict-frames", "--output", dir.File("out.safetensors"));
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("1 + 4k", r.Error);
        Assert.Empty(Outputs());
    }

    [Fact]
    public void UnknownOption_ExitsUsage()
    {
        var r = CliRunner.Run("encode", "x.mp4", "--model", model, "--output", dir.File("out.safetensors"), "--bogus");
        Assert.Equal(2, r.ExitCode);
        Assert.Empty(Outputs());
    }

    [Fact]
    public void Reconstruct_PrintsQualityAndRate()
    {
        var r = CliRunner.Run("reconstruct", Path.Combine(golden.Dir, "frames"), "--model", model, "--frames", "16");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("PSNR", r.Out);
        Assert.Contains("SSIM", r.Out);
        Assert.Contains("bits per pixel", r.Out);
        Assert.Contains("16 frames", r.Out);
    }
}
