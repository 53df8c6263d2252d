using Tessera.Models;

namespace Tessera.Inference;

/// <summary>The check every streaming session makes: the card says the model streams, and the options let it.</summary>
internal static class StreamingModel
{
    public static IStreamingTokenizer Of(VideoTokenizer tokenizer)
    {
        var card = tokenizer.Card;
        if (!card.Streams || tokenizer.Model is not IStreamingTokenizer model)
            throw new InvalidInputException(
                $"model '{card.Name}' ({card.Family}, {card.Variant}) does not stream: only {ModelFamilies.Of(tokenizer.Config).StreamingModels} models carry their state from chunk to chunk"
                + (card.Causal ? "" : " (a non-causal model sees the future, so pieces would not give the codes of one call)")
                + "; encode and decode whole clips with VideoTokenizer.Encode and Decode");
        if (tokenizer.Options.TemporalChunk <= 0)
            throw new InvalidInputException("streaming needs a temporal chunk > 0 (TokenizerOptions.TemporalChunk)");
        return model;
    }
}
