using Tessera.Models.VidTok;
using Tessera.Nn;
using Tessera.Tests.Inference;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.VidTok;

/// <summary>
/// Every layer frees its intermediates as it goes: an encoder or decoder pass leaves nothing but its output alive in the
/// dispose scope around it. An undisposed activation stays allocated until that scope ends (the whole video in the
/// facade), so one leak per layer multiplies a long video's peak memory.
/// </summary>
[DisposeScopePerTest]
public sealed class IntermediateDisposalTests
{
    [Theory]
    [InlineData(VidTokFamily.CausalV1_1, true)]
    [InlineData(VidTokFamily.CausalV1_1, false)]
    [InlineData(VidTokFamily.CausalV1_0, true)]
    [InlineData(VidTokFamily.NonCausal, true)]
    public void EncodeAndDecode_LeaveOnlyTheirOutputsInTheScope(object familyValue, bool fsq)
    {
        // xunit theory parameters must be public types; VidTokFamily is internal to the library.
        var family = (VidTokFamily)familyValue;
        using var model = TinyModels.Model(family, fsq);
        model.eval();
        using var grad = no_grad();
        using var input = rand([1, 3, 9, 32, 32], generator: new Generator(1)).mul_(2).sub_(1);
        foreach (var chunked in new[] { false, true })
        {
            if (chunked && family == VidTokFamily.NonCausal) continue;
            using var cache = chunked ? new CausalCache() : CausalCache.None();
            cache.IsFirstChunk = true;
            Tensor latent;
            using (var scope = NewDisposeScope())
            {
                latent = model.EncodeRaw(input, cache);
                Assert.True(scope.DisposablesCount == 1, $"encode ({family}, chunked {chunked}) left {scope.DisposablesCount - 1} intermediate tensors alive");
                latent.MoveToOuterDisposeScope();
            }
            using (latent)
            using (var decodeCache = chunked ? new CausalCache() : CausalCache.None())
            using (var scope = NewDisposeScope())
            {
                decodeCache.IsFirstChunk = true;
                var pair = (Tessera.Inference.ICausalAutoencoder)model;
                if (chunked && pair.DecodeLookAhead > 0) pair.PrepareOverlapDecode(decodeCache);
                using var z = latent[.., ..(int)model.Config.ZChannels];
                _ = model.DecodeRaw(z, decodeCache);
                Assert.True(scope.DisposablesCount == 2, $"decode ({family}, chunked {chunked}) left {scope.DisposablesCount - 2} intermediate tensors alive");
            }
        }
    }
}
