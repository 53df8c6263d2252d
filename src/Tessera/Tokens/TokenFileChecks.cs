using System.Globalization;
using Tessera.Models;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Tokens;

/// <summary>
/// Checks on a token file's tensors and frame counts made before any decoding: no empty tensor, no NaN/Inf latents,
/// frame counts a latent grid can give, and a decoded video within <see cref="FrameBudget"/>.
/// </summary>
internal static class TokenFileChecks
{
    /// <summary>Most pixels (frames x height x width) one token file may decode to: about 1 billion.</summary>
    public const long MaxDecodedPixels = 1L << 30;

    public static void Check(string path, IReadOnlyDictionary<string, Tensor> tensors, ModelConfig config, int frames, int leading)
    {
        var card = config.Card;
        foreach (var (name, tensor) in tensors)
        {
            if (tensor.shape.Any(d => d <= 0))
                throw Error(path, $"tensor '{name}' [{string.Join(", ", tensor.shape)}] is empty");
            if (!card.IsDiscrete)
            {
                using var finite = tensor.isfinite().all();
                if (!finite.item<bool>()) throw Error(path, $"tensor '{name}' holds NaN or infinite values");
            }
        }
        if (frames <= 0) throw Error(path, $"metadata claims {frames} frames");

        // A grid code ([T', H', W'] ids or [C, T', H', W'] latents) fixes the decoded size; query codes do not.
        var grid = GridOf(card, tensors);
        if (grid is null) return;
        var c = card.Compression;
        long height = grid[1] * c.Height, width = grid[2] * c.Width;
        if (height * width > FrameBudget.MaxFramePixels)
            throw Error(path, $"a {grid[1]}x{grid[2]} grid decodes to {width}x{height} (width x height) frames, above Tessera's limit of {FrameBudget.MaxFramePixels:N0} pixels per frame");
        var decodable = grid[0] * c.Time;
        if (frames + (long)leading > decodable)
            throw Error(path, $"metadata claims {frames} frames (after {leading} leading frames), but {grid[0]} latent frames decode to at most {decodable}");
        if (frames * height * width > MaxDecodedPixels)
            throw Error(path, $"{frames} frames of {width}x{height} exceed Tessera's limit of {MaxDecodedPixels:N0} decoded pixels per file");
    }

    /// <summary>
    /// The 'frame_size' metadata (HxW) of a code whose frames were padded to the model's multiple, checked against the
    /// grid: positive, and at most one multiple below the size the grid decodes to. Null when absent.
    /// </summary>
    public static (int Height, int Width)? FrameSize(string path, string? value, IReadOnlyDictionary<string, Tensor> tensors, ModelConfig config)
    {
        if (value is null) return null;
        var parts = value.Split('x');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var w) || h <= 0 || w <= 0)
            throw Error(path, $"metadata 'frame_size' must be <height>x<width> with positive sizes, got '{value}'");
        var card = config.Card;
        if (GridOf(card, tensors) is { } grid)
        {
            long gh = grid[1] * card.Compression.Height, gw = grid[2] * card.Compression.Width;
            var m = card.SpatialMultiple;
            if (h > gh || w > gw || h <= gh - m || w <= gw - m)
                throw Error(path, $"metadata 'frame_size' {w}x{h} (width x height) does not fit the grid's {gw}x{gh} frames (it may crop less than {m} pixels)");
        }
        return (h, w);
    }

    private static long[]? GridOf(ModelCard card, IReadOnlyDictionary<string, Tensor> tensors)
    {
        if (tensors.Count != 1) return null;
        var shape = tensors.Values.Single().shape;
        if (card.IsDiscrete) return card.TokenGroups[0].Rank == 3 && shape.Length == 3 ? shape : null;
        return shape.Length == 4 ? shape[1..] : null;
    }

    private static TokenFileFormatException Error(string path, string problem) => new($"token file '{path}': {problem}");
}
