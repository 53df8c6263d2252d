using Tessera.Inference;
using Tessera.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

/// <summary>
/// libtorch keeps its thread count in OpenMP's per-thread setting, and in-process CLI tests set it (--threads) on xunit's
/// threads, so this test runs alone (after the parallel collections) and reads the count only on its own thread, before
/// and after blocking on the asynchronous load (an await could resume on a thread with another setting).
/// </summary>
[CollectionDefinition(nameof(ProcessWideThreads), DisableParallelization = true)]
public sealed class ProcessWideThreads;

[Collection(nameof(ProcessWideThreads))]
[DisposeScopePerTest]
public sealed class ThreadCountTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void LoadingAndEncoding_LeaveTheProcessThreadCountAlone()
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
        using (VideoTokenizer.LoadAsync(file, options: new TokenizerOptions { Threads = asked }).GetAwaiter().GetResult())
            Assert.Equal(before, get_num_threads());
        Assert.Equal(before, get_num_threads());
    }
}
