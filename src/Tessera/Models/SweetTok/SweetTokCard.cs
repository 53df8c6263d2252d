namespace Tessera.Models.SweetTok;

/// <summary>The <see cref="ModelCard"/> of a SweetTok config: one fixed clip size, four word groups per clip.</summary>
internal static class SweetTokCard
{
    public const string Adjective = "adjective";
    public const string Noun = "noun";
    public const string Adverb = "adverb";
    public const string Verb = "verb";

    public static ModelCard Of(SweetTokConfig c) => new()
    {
        Family = SweetTokFamilyProvider.FamilyName,
        Name = c.Name,
        Variant = c.FinetuneDecoder ? "compact, stage 2 (pixel decoder)" : "compact, stage 1 (proxy logits)",
        Summary = $"{c.NumSpatialLatentTokens}+{c.NumTemporalLatentTokens} word queries, {c.Frames}x{c.ImageSize}x{c.ImageSize} clips",
        // The learned queries and position tables fix the clip: exactly Frames frames of ImageSize².
        Frames = FrameRule.Exactly(c.Frames),
        SpatialMultiple = c.PatchSize,
        InputSize = (c.ImageSize, c.ImageSize),
        Range = new ValueRange(-0.5, 0.5),
        Compression = new Compression(c.TemporalPatchSize, c.PatchSize, c.PatchSize),
        TokenGroups = c.AdjectiveWords > 0
            ?
            [
                new TokenGroup(Adjective, ["N_s", "k"], c.AdjectiveWords),
                new TokenGroup(Noun, ["N_s"], c.NounWords),
                new TokenGroup(Adverb, ["N_t", "k"], c.AdverbWords),
                new TokenGroup(Verb, ["N_t"], c.VerbWords),
            ]
            : [],
        Causal = false,
        Streams = false,
        EvalClipFrames = c.Frames,
    };
}
