using Tessera.Models.VidTok;

namespace Tessera.Inference;

/// <summary>
/// The frame counts each VidTok family takes. A causal v1.0 model returns 4k − 3 frames for any input
/// (so only 1 + 4k frames survive a round trip); a non-causal model drops frames beyond a multiple of 4;
/// a causal v1.1 model takes any count.
/// </summary>
public static class FrameRules
{
    public static bool Accepts(VidTokConfig config, int frames) => frames >= 1 && config.Family switch
    {
        VidTokFamily.CausalV1_0 => (frames - 1) % config.TimeDownsampleFactor == 0,
        VidTokFamily.NonCausal => frames % config.Compression.Time == 0,
        _ => true,
    };

    /// <summary>The smallest count ≥ <paramref name="frames"/> the model takes.</summary>
    public static int NextAccepted(VidTokConfig config, int frames)
    {
        var n = Math.Max(1, frames);
        while (!Accepts(config, n)) n++;
        return n;
    }

    public static string Describe(VidTokConfig config) => config.Family switch
    {
        VidTokFamily.CausalV1_0 => $"1 + {config.TimeDownsampleFactor}k frames (1, {1 + config.TimeDownsampleFactor}, {1 + 2 * config.TimeDownsampleFactor}, …)",
        VidTokFamily.NonCausal => $"a multiple of {config.Compression.Time} frames",
        _ => "any number of frames",
    };
}
