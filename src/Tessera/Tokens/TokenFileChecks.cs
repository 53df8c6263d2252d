using Tessera.Models.VidTok;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Tokens;

/// <summary>
/// Checks on a token file's tensor and frame counts made before any decoding: no empty grid, no NaN/Inf latents,
/// frame counts the latents can give, and a decoded video within <see cref="FrameBudget"/>.
/// </summary>
internal static class TokenFileChecks
{
    /// <summary>Most pixels (frames x height x width) one token file may decode to: about 1 billion.</summary>
    public const long MaxDecodedPixels = 1L << 30;

    public static void Check(string path, Tensor tensor, bool tokens, VidTokConfig config, int frames, int leading)
    {
        var grid = tokens ? tensor.shape : tensor.shape[1..];
        if (grid.Any(d => d <= 0))
            throw Error(path, $"the {(tokens ? "token" : "latent")} grid [{string.Join(", ", grid)}] is empty");
        if (!tokens)
        {
            using var finite = tensor.isfinite().all();
            if (!finite.item<bool>()) throw Error(path, "the latents hold NaN or infinite values");
        }
        var c = config.Compression;
        long height = grid[1] * c.Height, width = grid[2] * c.Width;
        if (height * width > FrameBudget.MaxFramePixels)
            throw Error(path, $"a {grid[1]}x{grid[2]} grid decodes to {width}x{height} (width x height) frames, above Tessera's limit of {FrameBudget.MaxFramePixels:N0} pixels per frame");
        var decodable = grid[0] * Math.Max(c.Time, config.TimeDownsampleFactor);
        if (frames <= 0 || frames + (long)leading > decodable)
            throw Error(path, $"metadata claims {frames} frames (after {leading} leading frames), but {grid[0]} latent frames decode to at most {decodable}");
        if (frames * height * width > MaxDecodedPixels)
            throw Error(path, $"{frames} frames of {width}x{height} exceed Tessera's limit of {MaxDecodedPixels:N0} decoded pixels per file");
    }

    private static TokenFileFormatException Error(string path, string problem) => new($"token file '{path}': {problem}");
}
