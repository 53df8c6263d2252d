using Tessera.Checkpoints;
using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tokens;
using static TorchSharp.torch;

namespace Tessera.Tests.Tokens;

[DisposeScopePerTest]
public sealed class TokenFileTests
{
    [Fact]
    public void Tokens_RoundTripWithMetadata()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(VidTokFamily.CausalV1_1);
        using var ids = randint(0, 4096, new long[] { 1, 3, 2, 2 }, dtype: ScalarType.Int32);
        using var code = new TokenIds(ids.clone(), config, frames: 10, leadingFrames: 2);
        var path = dir.File("t.safetensors");
        TokenFile.Save(path, code, new TokenFileInfo { Source = "clip.mp4", Fps = 7.5, OriginalSize = (480, 640), ProcessedSize = (16, 16), ModelSource = "m.safetensors" });

        using (var raw = SafeTensorsFile.Load(path))
        {
            Assert.Equal(new long[] { 3, 2, 2 }, raw["tokens"].shape);
            Assert.Equal(ScalarType.Int32, raw["tokens"].dtype);
            Assert.Equal("4096", raw.Metadata["codebook_size"]);
        }
        var (loaded, info) = TokenFile.Load(path);
        using (loaded)
        {
            var back = Assert.IsType<TokenIds>(loaded);
            Assert.True(back.Ids.eq(ids).all().item<bool>());
            Assert.Equal(config, back.Config with { Name = config.Name });
            Assert.Equal(10, back.Frames);
            Assert.Equal(2, back.LeadingFrames);
        }
        Assert.Equal("clip.mp4", info.Source);
        Assert.Equal(7.5, info.Fps);
        Assert.Equal((480, 640), info.OriginalSize);
        Assert.Equal("m.safetensors", info.ModelSource);
    }

    [Fact]
    public void Latents_RoundTrip()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(VidTokFamily.NonCausal, fsq: false);
        using var values = randn(new long[] { 1, 4, 2, 2, 2 });
        using var code = new Latents(values.clone(), config, frames: 8);
        var path = dir.File("l.safetensors");
        TokenFile.Save(path, code, new TokenFileInfo());
        var (loaded, _) = TokenFile.Load(path);
        using (loaded) Assert.True(Assert.IsType<Latents>(loaded).Values.eq(values).all().item<bool>());
    }

    [Fact]
    public void Load_FileWithoutFamilyOrFrames_IsReadAsVidTok()
    {
        // Token files written before model_family existed, or by other tools: tokens plus the model config only.
        using var dir = new TempDir();
        var config = TinyModels.Config(VidTokFamily.CausalV1_0);
        var path = dir.File("old.safetensors");
        using var tokens = randint(0, 4096, new long[] { 3, 2, 2 }, dtype: ScalarType.Int32);
        SafeTensorsFile.Save(path, [("tokens", tokens)], new Dictionary<string, string> { ["model_config"] = VidTokConfigJson.Serialize(config) });

        var (loaded, _) = TokenFile.Load(path);
        using (loaded)
        {
            var ids = Assert.IsType<TokenIds>(loaded);
            Assert.Equal(config, ids.Config);
            Assert.Equal(1 + 2 * 4, ids.Frames);    // v1.0: 1 + (T' − 1)·4
            Assert.Equal(0, ids.LeadingFrames);
            Assert.True(ids.Ids[0].eq(tokens).all().item<bool>());
        }
    }

    [Fact]
    public void Load_BothTensors_IsRejected()
    {
        using var dir = new TempDir();
        var path = dir.File("x.safetensors");
        using var a = zeros(new long[] { 1, 2, 2 }, ScalarType.Int32);
        using var b = zeros(4, 1, 2, 2);
        SafeTensorsFile.Save(path, [("tokens", a), ("latents", b)]);
        var e = Assert.Throws<TokenFileFormatException>(() => TokenFile.Load(path, TinyModels.Config(VidTokFamily.CausalV1_1)));
        Assert.Contains("x.safetensors", e.Message);
    }

    [Fact]
    public void Load_LatentsForDiscreteModel_IsRejected()
    {
        using var dir = new TempDir();
        var path = dir.File("x.safetensors");
        using var b = zeros(4, 1, 2, 2);
        SafeTensorsFile.Save(path, [("latents", b)]);
        var e = Assert.Throws<TokenFileFormatException>(() => TokenFile.Load(path, TinyModels.Config(VidTokFamily.CausalV1_1)));
        Assert.Contains("discrete", e.Message);
    }

    [Fact]
    public void Load_GarbageFile_IsRejectedNamingTheFile()
    {
        using var dir = new TempDir();
        var path = dir.File("junk.safetensors");
        File.WriteAllText(path, "not a safetensors file at all");
        var e = Assert.Throws<TokenFileFormatException>(() => TokenFile.Load(path));
        Assert.Contains("junk.safetensors", e.Message);
    }
}
