using Tessera.Inference;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

/// <summary>The asynchronous load gives the same tokenizer as the synchronous one (the thread count: <see cref="ThreadCountTests"/>).</summary>
[DisposeScopePerTest]
public sealed class LoadAsyncTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private string ModelFile()
    {
        var path = dir.File("tiny.safetensors");
        using var model = TinyModels.Model(VidTokFamily.CausalV1_1, seed: 4);
        VidTokWeights.Save(path, model);
        return path;
    }

    [Fact]
    public async Task LoadAsync_EncodesAsLoadDoes()
    {
        var file = ModelFile();
        using var a = VideoTokenizer.Load(file);
        using var b = await VideoTokenizer.LoadAsync(file);
        using var g = new Generator(2);
        using var x = rand(new long[] { 1, 3, 9, 16, 16 }, generator: g).mul_(2).sub_(1);
        using var ca = (TokenIds)a.Encode(x);
        using var cb = (TokenIds)b.Encode(x);
        Assert.True(ca.Ids.eq(cb.Ids).all().item<bool>());
    }

    [Fact]
    public async Task LoadAsync_Cancelled_Throws()
    {
        var file = ModelFile();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => VideoTokenizer.LoadAsync(file, cancellationToken: new CancellationToken(canceled: true)));
    }
}
