using System.Text.Json;

namespace Tessera.Models.SweetTok;

/// <summary>
/// The words behind the four codebooks, in row order: adjectives and nouns (spatial), adverbs and verbs (temporal).
/// A model file keeps each list as a JSON array in its metadata (<c>words.adjective</c>, ...).
/// </summary>
internal sealed record SweetTokVocabulary(IReadOnlyList<string> Adjectives, IReadOnlyList<string> Nouns, IReadOnlyList<string> Adverbs, IReadOnlyList<string> Verbs)
{
    public const string MetadataPrefix = "words.";

    public IEnumerable<(string Group, IReadOnlyList<string> Words)> Groups =>
    [
        (SweetTokCard.Adjective, Adjectives), (SweetTokCard.Noun, Nouns), (SweetTokCard.Adverb, Adverbs), (SweetTokCard.Verb, Verbs),
    ];

    public void WriteTo(IDictionary<string, string> metadata)
    {
        foreach (var (group, words) in Groups) metadata[MetadataPrefix + group] = JsonSerializer.Serialize(words);
    }

    /// <summary>The vocabulary in a model file's metadata, or null when it records none.</summary>
    public static SweetTokVocabulary? ReadFrom(IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (!metadata.ContainsKey(MetadataPrefix + SweetTokCard.Adjective)) return null;
        string[] Read(string group)
        {
            var key = MetadataPrefix + group;
            if (!metadata.TryGetValue(key, out var json)) throw new CheckpointFormatException($"model file '{path}': metadata '{key}' is missing");
            try
            {
                return JsonSerializer.Deserialize<string[]>(json) is { } words && words.All(w => w is not null)
                    ? words
                    : throw new CheckpointFormatException($"model file '{path}': metadata '{key}' is not a list of words");
            }
            catch (JsonException e)
            {
                throw new CheckpointFormatException($"model file '{path}': metadata '{key}' is not a JSON list of words ({e.Message})", e);
            }
        }
        return new SweetTokVocabulary(Read(SweetTokCard.Adjective), Read(SweetTokCard.Noun), Read(SweetTokCard.Adverb), Read(SweetTokCard.Verb));
    }

    /// <summary>Throws unless the lists have the sizes the config's token groups declare.</summary>
    public void Check(SweetTokConfig config, string path)
    {
        foreach (var ((group, words), expected) in Groups.Zip(new[] { config.AdjectiveWords, config.NounWords, config.AdverbWords, config.VerbWords }))
            if (words.Count != expected)
                throw new CheckpointFormatException($"model file '{path}': {words.Count} {group} words, but the config declares {expected}");
    }
}
