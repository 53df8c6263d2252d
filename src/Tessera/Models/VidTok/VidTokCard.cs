namespace Tessera.Models.VidTok;

/// <summary>The <see cref="ModelCard"/> of a VidTok config: frame rule, streaming and code layout per family.</summary>
internal static class VidTokCard
{
    public const string TokensGroup = "tokens";

    public static ModelCard Of(VidTokConfig c) => new()
    {
        Family = VidTokFamilyProvider.FamilyName,
        Name = c.Name,
        Variant = Variant(c.Family),
        Summary = VidTokPresets.Describe(c),
        Frames = c.Family switch
        {
            // v1.0 returns 4k − 3 frames for any input, so only 1 + 4k frames survive a round trip.
            VidTokFamily.CausalV1_0 => FrameRule.OnePlusMultipleOf(c.TimeDownsampleFactor),
            VidTokFamily.NonCausal => FrameRule.MultipleOf(c.Compression.Time),
            _ => FrameRule.Any,
        },
        SpatialMultiple = c.Compression.Height,
        Range = new ValueRange(-1, 1),
        Compression = c.Compression,
        TokenGroups = c.Regularizer is FsqBottleneck f ? [new TokenGroup(TokensGroup, ["T'", "H'", "W'"], f.CodebookSize) { Levels = f.Levels }] : [],
        LatentChannels = c.Regularizer is KlBottleneck k ? k.Channels : 0,
        Causal = c.IsCausal,
        Streams = c.IsCausal,
        // The reference evaluates causal models on 17-frame clips (chunk 16 + 1), non-causal ones on 16.
        EvalClipFrames = c.IsCausal ? 17 : 16,
    };

    public static string Variant(VidTokFamily family) => family switch
    {
        VidTokFamily.CausalV1_0 => "causal v1.0",
        VidTokFamily.CausalV1_1 => "causal v1.1",
        _ => "non-causal",
    };
}
