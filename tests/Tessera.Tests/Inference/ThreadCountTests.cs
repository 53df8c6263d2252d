using Tessera.Inference;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

/// <summary>
/// libtorch's thread count is one per process, and in-process CLI tests set it (--threads), so a test that reads it
/// runs alone: xunit runs this collection after the parallel ones, with nothing beside it.
/// </summary>
[CollectionDefinition(nameof(ProcessWideThreads), DisableParallelization = true)]
public sealed class ProcessWideThreads;

[Collection(nameof(ProcessWideThreads))]
public sealed class ThreadCountTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task LoadingAndEncoding_LeaveTheProcessThreadCountAlone()
    {
        var file = dir.File("tiny.safetensors");
        using (var model = TinyModels.Model(VidTokFamily.CausalV1_1, seed: 4)) VidTokWeights.Save(file, model);
        var before = get_num_threads();
        var asked = before == 1 ? 2 : 1;
        using (var t = VideoTokenizer.Load(file, options: new TokenizerOptions { Threads = asked }))
        {
            Assert.Equal(before, get_num_threads());
            using var x = zeros(new long[] { 1, 3, 5, 16, 16 });
            using var code = t.Encode(x);
        }
        using (await VideoTokenizer.LoadAsync(file, options: new TokenizerOptions { Threads = asked }))
            Assert.Equal(before, get_num_threads());
        Assert.Equal(before, get_num_threads());
    }
}
