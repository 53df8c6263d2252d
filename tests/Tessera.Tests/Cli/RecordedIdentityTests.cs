using System.Security.Cryptography;
using Tessera.Checkpoints;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Video;
using Tessera.Tokens;

namespace Tessera.Tests.Cli;

/// <summary>Token files identify their input and model by name, size and SHA-256, not by the encoding machine's paths.</summary>
[DisposeScopePerTest]
public sealed class RecordedIdentityTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly string model;
    private readonly string input;

    public RecordedIdentityTests()
    {
        model = dir.File("tiny.safetensors");
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_1)) VidTokWeights.Save(model, m);
        input = dir.File("clip.mkv");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=32x32:rate=8:duration=1", "-c:v", "ffv1", input);
    }

    public void Dispose() => dir.Dispose();

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private string Encode(string name, params string[] extra)
    {
        var tokens = dir.File(name);
        var r = CliRunner.Run(["encode", input, "-m", model, "-o", tokens, .. extra]);
        Assert.True(r.ExitCode == 0, r.Error);
        return tokens;
    }

    [Fact]
    public void Encode_RecordsNamesAndDigests_NoLocalPaths()
    {
        var tokens = Encode("t.safetensors");
        var meta = SafeTensorsFile.ReadHeader(tokens).Metadata;
        Assert.Equal("clip.mkv", meta["source"]);
        Assert.Equal(new FileInfo(input).Length.ToString(System.Globalization.CultureInfo.InvariantCulture), meta["source_bytes"]);
        Assert.Equal(Sha(input), meta["source_sha256"]);
        Assert.Equal("tiny.safetensors", meta["model_source"]);
        Assert.Equal(Sha(model), meta["model_sha256"]);
        Assert.DoesNotContain(meta.Values, v => v.Contains(dir.Path, StringComparison.Ordinal));
    }

    [Fact]
    public void Encode_RecordPaths_AddsTheFullPaths()
    {
        var info = TokenFile.ReadInfo(Encode("t.safetensors", "--record-paths"));
        Assert.Equal(Path.GetFullPath(input), info.Source);
        Assert.Equal(Path.GetFullPath(model), info.ModelSource);
        Assert.Equal(Sha(model), info.ModelSha256);
    }

    [Fact]
    public void Decode_FindsTheModelNextToTheTokenFile_WhereverBothMove()
    {
        var tokens = Encode("t.safetensors");
        var moved = Directory.CreateDirectory(dir.File("moved")).FullName;
        File.Move(tokens, Path.Combine(moved, "t.safetensors"));
        File.Copy(model, Path.Combine(moved, "tiny.safetensors"));
        File.Delete(model);
        var r = CliRunner.Run("decode", Path.Combine(moved, "t.safetensors"), "-o", Path.Combine(moved, "out.safetensors"));
        Assert.True(r.ExitCode == 0, r.Error);
    }

    [Fact]
    public void Decode_ModelMissingOrDifferent_NamesTheFileAndBothDigests()
    {
        var tokens = Encode("t.safetensors");
        var expected = Sha(model);
        File.Delete(model);
        var missing = CliRunner.Run("decode", tokens, "-o", dir.File("out.safetensors"));
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("'tiny.safetensors'", missing.Error);
        Assert.Contains("not next to it", missing.Error);

        using (var other = TinyModels.Model(VidTokFamily.CausalV1_1, seed: 5)) VidTokWeights.Save(model, other);
        var differs = CliRunner.Run("decode", tokens, "-o", dir.File("out.safetensors"));
        Assert.Equal(3, differs.ExitCode);
        Assert.Contains(expected[..12], differs.Error);
        Assert.Contains(Sha(model)[..12], differs.Error);
        Assert.False(File.Exists(dir.File("out.safetensors")));
    }

    [Fact]
    public void Decode_OldFileWithAbsoluteModelPath_StillDecodes()
    {
        var tokens = Encode("t.safetensors");
        var (code, info) = TokenFile.Load(tokens);
        using (code) TokenFile.Save(tokens, code, info with { ModelSource = Path.GetFullPath(model), ModelSha256 = null, Source = "/home/someone/clip.mkv", SourceSha256 = null, SourceBytes = null });
        var r = CliRunner.Run("decode", tokens, "-o", dir.File("out.safetensors"));
        Assert.True(r.ExitCode == 0, r.Error);
    }
}
