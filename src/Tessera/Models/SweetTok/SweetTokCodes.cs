using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// The discrete tokens of a batch of clips (int64): per spatial query two adjectives (nearest first) and a noun,
/// per temporal query two adverbs and a verb. Adjective [B, L_s, 2], Noun [B, L_s], Adverb [B, L_t, 2], Verb [B, L_t].
/// </summary>
internal sealed record SweetTokCodes(Tensor Adjective, Tensor Noun, Tensor Adverb, Tensor Verb) : IDisposable
{
    /// <summary>
    /// The official <c>encode</c> layout [B, 3·L_s + 3·L_t]: adjectives token-major and interleaved, nouns, adverbs
    /// interleaved, verbs.
    /// </summary>
    public Tensor Flat()
    {
        var b = Noun.shape[0];
        return cat([Adjective.reshape(b, -1), Noun, Adverb.reshape(b, -1), Verb], 1);
    }

    public void Dispose()
    {
        Adjective.Dispose();
        Noun.Dispose();
        Adverb.Dispose();
        Verb.Dispose();
    }
}

/// <summary>Everything <c>encode</c> produces: the codes, the quantised vectors [B, dim, 1, L] and the summed VQ losses.</summary>
internal sealed record SweetTokEncoding(SweetTokCodes Codes, Tensor SpatialQuantized, Tensor TemporalQuantized,
    Tensor QuantizerLoss, Tensor CommitmentLoss, Tensor CodebookLoss) : IDisposable
{
    public void Dispose()
    {
        Codes.Dispose();
        foreach (var t in new[] { SpatialQuantized, TemporalQuantized, QuantizerLoss, CommitmentLoss, CodebookLoss }) t.Dispose();
    }
}
