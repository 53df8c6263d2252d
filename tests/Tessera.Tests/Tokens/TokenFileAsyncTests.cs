using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tokens;
using static TorchSharp.torch;

namespace Tessera.Tests.Tokens;

[DisposeScopePerTest]
public sealed class TokenFileAsyncTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private static TokenIds Code()
    {
        using var g = new Generator(7);
        return new TokenIds(randint(0, 4096, new long[] { 1, 3, 2, 2 }, generator: g, dtype: ScalarType.Int32),
            TinyModels.Config(VidTokFamily.CausalV1_1), frames: 9, leadingFrames: 0);
    }

    [Fact]
    public async Task SaveAsyncThenLoadAsync_RoundTripsAsTheSyncTwins()
    {
        using var code = Code();
        var info = new TokenFileInfo { Source = "clip.mp4", Fps = 8 };
        TokenFile.Save(dir.File("sync.safetensors"), code, info);
        await TokenFile.SaveAsync(dir.File("async.safetensors"), code, info);
        Assert.Equal(File.ReadAllBytes(dir.File("sync.safetensors")), File.ReadAllBytes(dir.File("async.safetensors")));

        var (loaded, back) = await TokenFile.LoadAsync(dir.File("async.safetensors"));
        using (loaded)
        {
            var ids = Assert.IsType<TokenIds>(loaded);
            Assert.True(ids.Ids.eq(code.Ids).all().item<bool>());
            Assert.Equal(9, ids.Frames);
        }
        Assert.Equal("clip.mp4", back.Source);
    }

    [Fact]
    public async Task CancelledSaveAsync_WritesNoFile_AndLeavesAnExistingOneIntact()
    {
        using var code = Code();
        var cancelled = new CancellationToken(canceled: true);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TokenFile.SaveAsync(dir.File("new.safetensors"), code, new TokenFileInfo(), cancelled));
        Assert.Empty(dir.Entries());

        var existing = dir.File("old.safetensors");
        File.WriteAllText(existing, "keep me");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TokenFile.SaveAsync(existing, code, new TokenFileInfo(), cancelled));
        Assert.Equal("keep me", File.ReadAllText(existing));
        Assert.Equal(["old.safetensors"], dir.Entries());
    }

    [Fact]
    public async Task LoadAsync_MissingFile_IsATokenFileError()
    {
        var e = await Assert.ThrowsAsync<TokenFileFormatException>(() => TokenFile.LoadAsync(dir.File("none.safetensors")));
        Assert.Contains("none.safetensors", e.Message);
    }
}
