using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tokens;
using Tessera.Video;

namespace Tessera.Tests;

/// <summary>The README's library example, run as written on a tiny model file, so the README stays true.</summary>
[DisposeScopePerTest]
public sealed class ReadmeExamplesTests
{
    [Fact]
    public void LibraryExample_Runs()
    {
        using var dir = new TempDir();
        var modelFile = dir.File("tiny.safetensors");
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_1)) VidTokWeights.Save(modelFile, m);
        var frames = TestPaths.Fixture("VidTok", "v1_0_fsq_ckpt", "frames");
        var tokensFile = dir.File("in.tokens.safetensors");

        using var tokenizer = VideoTokenizer.Load(modelFile);
        using var clip = VideoReader.Read(frames, new ReadOptions { Fps = 8, Size = (16, 16) });
        using var input = clip.ToModelInput();
        using VideoCode code = tokenizer.Encode(input);
        if (code is TokenIds ids) TokenFile.Save(tokensFile, ids, new TokenFileInfo { Fps = clip.Fps });
        using var video = tokenizer.Decode(code);

        Assert.Equal(input.shape, video.shape);
        Assert.True(File.Exists(tokensFile));
        Assert.Equal(7.5, TokenFile.ReadInfo(tokensFile).Fps!.Value, 3);   // 30 fps frames sampled every round(30/8) = 4th
    }
}
