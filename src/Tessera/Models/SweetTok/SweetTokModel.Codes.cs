using Tessera.Inference;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

// Pixels to word tokens and back, under the family seam: the four card groups as int32 ids.
internal sealed partial class SweetTokModel
{
    public override VideoCode Encode(Tensor video, int frames, TokenizerOptions options)
    {
        CheckVocabulary();
        if (video.shape[3] != Config.ImageSize || video.shape[4] != Config.ImageSize)
            throw new InvalidInputException(
                $"model '{Config.Name}' takes {Config.ImageSize}x{Config.ImageSize} frames (its queries and position tables fix the size), got {video.shape[3]}x{video.shape[4]}; resize or crop the video (e.g. --size)");
        using var encoding = Encode(video);
        var c = encoding.Codes;
        var groups = new Dictionary<string, Tensor>
        {
            [SweetTokCard.Adjective] = c.Adjective.to_type(ScalarType.Int32),
            [SweetTokCard.Noun] = c.Noun.to_type(ScalarType.Int32),
            [SweetTokCard.Adverb] = c.Adverb.to_type(ScalarType.Int32),
            [SweetTokCard.Verb] = c.Verb.to_type(ScalarType.Int32),
        };
        return new TokenIds(groups, Config, frames);
    }

    public override Tensor Decode(VideoCode code, TokenizerOptions options)
    {
        CheckVocabulary();
        if (code is not TokenIds ids) throw new InvalidInputException($"model '{Config.Name}' decodes word tokens, not {code.GetType().Name}");
        if (!HasPixelPath)
            throw new InvalidInputException($"model '{Config.Name}' is a stage-1 model without the proxy pixel decoder; convert it with the proxy checkpoint (tessera convert --proxy)");
        var card = Card;
        foreach (var (group, queries) in new[] { (SweetTokCard.Adjective, Config.NumSpatialLatentTokens), (SweetTokCard.Noun, Config.NumSpatialLatentTokens),
                     (SweetTokCard.Adverb, Config.NumTemporalLatentTokens), (SweetTokCard.Verb, Config.NumTemporalLatentTokens) })
        {
            var t = ids[group];
            if (t.shape[1] != queries || (t.dim() == 3 && t.shape[2] != Config.TopK))
                throw new InvalidInputException($"'{group}' ids [{string.Join(", ", t.shape.Skip(1))}] do not fit model '{Config.Name}' ({queries} queries, top_k {Config.TopK})");
            var size = card.TokenGroups.First(g => g.Name == group).CodebookSize;
            if (t.numel() > 0 && (t.min().item<int>() < 0 || t.max().item<int>() >= size))
                throw new InvalidInputException($"'{group}' ids must lie in [0, {size}), found values in [{t.min().item<int>()}, {t.max().item<int>()}]");
        }
        var codes = new SweetTokCodes(ids[SweetTokCard.Adjective].to_type(ScalarType.Int64), ids[SweetTokCard.Noun].to_type(ScalarType.Int64),
            ids[SweetTokCard.Adverb].to_type(ScalarType.Int64), ids[SweetTokCard.Verb].to_type(ScalarType.Int64));
        return Decode(codes);
    }

    private void CheckVocabulary()
    {
        if (Config.AdjectiveWords <= 0 || spatialBooks is null)
            throw new ConfigException(
                $"model '{Config.Name}' has no language codebooks; convert the checkpoint with its priors (tessera convert --spatial-prior <pkl> --temporal-prior <pkl>)");
    }
}
