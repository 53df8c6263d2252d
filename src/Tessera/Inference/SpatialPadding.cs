using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// Frames whose height or width is not a multiple of the model's spatial multiple (<see cref="SizePolicy.PadEdges"/>):
/// the bottom rows and right columns are repeated up to the next multiple before encoding, and decoding crops back.
/// </summary>
internal static class SpatialPadding
{
    /// <summary>The next multiple of <paramref name="multiple"/> at or above <paramref name="size"/>.</summary>
    public static int Padded(int size, int multiple) => (size + multiple - 1) / multiple * multiple;

    /// <summary>Video [B, C, T, H, W] (any dtype) with its last row and column repeated up to multiples of <paramref name="multiple"/>.</summary>
    public static Tensor PadEdges(Tensor video, int multiple)
    {
        var x = Repeat(video, 3, Padded((int)video.shape[3], multiple));
        return Repeat(x, 4, Padded((int)video.shape[4], multiple));
    }

    /// <summary>Video [B, C, T, H, W] cut to <paramref name="size"/> at the top left; unchanged when it already has that size.</summary>
    public static Tensor Crop(Tensor video, (int Height, int Width)? size)
    {
        if (size is not { } s || (video.shape[3] == s.Height && video.shape[4] == s.Width)) return video;
        if (video.shape[3] < s.Height || video.shape[4] < s.Width)
            throw new InvalidInputException($"the code decodes to {video.shape[4]}x{video.shape[3]} frames, smaller than the {s.Width}x{s.Height} (width x height) it claims");
        return video.narrow(3, 0, s.Height).narrow(4, 0, s.Width);
    }

    private static Tensor Repeat(Tensor x, int dim, int size)
    {
        var missing = size - x.shape[dim];
        if (missing <= 0) return x;
        var shape = x.shape.ToArray();
        shape[dim] = missing;
        return cat([x, x.narrow(dim, x.shape[dim] - 1, 1).expand(shape)], dim);
    }
}
