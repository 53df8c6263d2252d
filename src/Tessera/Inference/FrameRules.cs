using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>The frame counts a model takes (its card's <see cref="FrameRule"/>), and padding up to one.</summary>
internal static class FrameRules
{
    public static bool Accepts(ModelConfig config, int frames) => config.Card.Frames.Accepts(frames);

    /// <summary>The smallest count ≥ <paramref name="frames"/> the model takes.</summary>
    public static int NextAccepted(ModelConfig config, int frames) =>
        config.Card.Frames.NextAccepted(frames)
        ?? throw new InvalidInputException($"model '{config.Name}' takes {Describe(config)}; {frames} frames cannot be padded to that");

    public static string Describe(ModelConfig config) => config.Card.Frames.Describe();

    /// <summary>Video [B, C, T, H, W] followed by repeats of its last frame up to <paramref name="frames"/>.</summary>
    public static Tensor PadTo(Tensor video, int frames)
    {
        var missing = frames - (int)video.shape[2];
        if (missing <= 0) return video;
        using var last = video[.., .., ^1..];
        using var repeats = last.expand(-1, -1, missing, -1, -1);
        return cat([video, repeats], 2);
    }
}
