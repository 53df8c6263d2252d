using Tessera.Inference;
using Tessera.Models.VidTok;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tessera.Tests.Inference;

/// <summary>
/// The memory planner may shorten the temporal chunk (a multiple of the temporal factor): encoding must not change with it,
/// because every chunk carries exact causal caches. Decoding does change slightly (each chunk decodes one latent of
/// look-ahead whose frames are dropped, so the chunk borders move); the difference is logged, and docs/streaming.md states it.
/// </summary>
[DisposeScopePerTest]
public sealed class TemporalChunkSizeTests(ITestOutputHelper log)
{
    [Fact]
    public void EveryChunkSize_GivesTheSameIds()
    {
        using var model = new VideoTokenizer(TinyModels.Model(VidTokFamily.CausalV1_1), new TokenizerOptions { TemporalChunk = 16 });
        using var scope = NewDisposeScope();
        var x = EncodeSessionTests.Video(41); // 1 + 40: streamed in chunks of 4, 8, 12 and 16 (the last padded)
        using var reference = (TokenIds)model.Encode(x);
        using var referenceFrames = model.Decode(reference);
        foreach (var chunk in new[] { 4, 8, 12 })
        {
            using var other = model.WithOptions(model.Options with { TemporalChunk = chunk });
            Assert.True(other.UsesChunking(41));
            using var ids = (TokenIds)other.Encode(x);
            foreach (var group in reference.TokenGroups)
                Assert.True(reference[group.Name].equal(ids[group.Name]).all().item<bool>(), $"chunk {chunk}: ids differ from chunk 16's");
            using var frames = other.Decode(ids);
            var diff = (frames - referenceFrames).abs().max().item<float>();
            log.WriteLine($"decode with chunk {chunk} vs 16: max |difference| {diff:E2} (frames in [-1, 1])");
        }
    }
}
