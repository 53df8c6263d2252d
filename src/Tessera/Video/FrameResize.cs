using Tessera.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Video;

/// <summary>
/// Antialiased bilinear resizing of uint8 frame batches [N, H, W, 3], computed in float32 with libtorch's
/// <c>_upsample_bilinear2d_aa</c> (what torchvision <c>Resize(antialias=True)</c> and PIL bilinear use: a triangle
/// filter widened by the scale factor when downscaling, weights renormalised at the borders) and rounded back to uint8.
/// </summary>
internal static class FrameResize
{
    /// <summary>
    /// The size torchvision <c>Resize(shortSide)</c> gives an <paramref name="height"/>×<paramref name="width"/> image:
    /// the shorter side becomes <paramref name="shortSide"/>, the longer <c>int(shortSide · long / short)</c> (truncated).
    /// </summary>
    public static (int Height, int Width) ShortSideSize(int height, int width, int shortSide)
    {
        if (height <= width)
            return (shortSide, (int)((long)shortSide * width / height));
        return ((int)((long)shortSide * height / width), shortSide);
    }

    /// <summary>
    /// The intermediate size for <see cref="ResizeMode.ShortSideCenterCrop"/>: the smallest torchvision short-side resize
    /// that covers <paramref name="targetHeight"/>×<paramref name="targetWidth"/>. For a square target this is exactly
    /// <c>Resize(target)</c>.
    /// </summary>
    public static (int Height, int Width) CoverSize(int height, int width, int targetHeight, int targetWidth)
    {
        // Pick the side whose scale factor is larger; its target becomes that side's size, the other side follows the aspect.
        if ((long)targetHeight * width >= (long)targetWidth * height)
            return (targetHeight, (int)((long)targetHeight * width / height));
        return ((int)((long)targetWidth * height / width), targetWidth);
    }

    /// <summary>Top-left corner of a centred crop, as torchvision CenterCrop: <c>int(round((size - crop) / 2))</c>, ties to even.</summary>
    public static (int Top, int Left) CenterCropOffset(int height, int width, int cropHeight, int cropWidth) =>
        ((int)Math.Round((height - cropHeight) / 2.0, MidpointRounding.ToEven),
         (int)Math.Round((width - cropWidth) / 2.0, MidpointRounding.ToEven));

    /// <summary>Resizes uint8 frames [N, H, W, 3] to [N, height, width, 3] (antialiased bilinear, rounded, clamped).</summary>
    public static Tensor Resize(Tensor frames, int height, int width)
    {
        CheckFrames(frames);
        using var scope = NewDisposeScope();
        if (frames.shape[1] == height && frames.shape[2] == width)
            return frames.clone().MoveToOuterDisposeScope();
        var x = frames.permute(0, 3, 1, 2).to_type(ScalarType.Float32);
        var y = ResizeFloat(x, height, width);
        return y.round_().clamp_(Scalars.Of(0f), Scalars.Of(255f)).to_type(ScalarType.Byte).permute(0, 2, 3, 1).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Antialiased bilinear resize of a float tensor [N, C, H, W] (align_corners = false).</summary>
    public static Tensor ResizeFloat(Tensor x, int height, int width)
    {
        if (x.dim() != 4 || !x.is_floating_point())
            throw new InvalidInputException($"resize expects a float tensor [N, C, H, W], got {x.dtype} [{string.Join(", ", x.shape)}]");
        if (height <= 0 || width <= 0)
            throw new InvalidInputException($"resize target must be positive, got {width}x{height} (width x height)");
        return nn.functional.interpolate(x, size: [height, width], mode: InterpolationMode.Bilinear,
            align_corners: false, antialias: true);
    }

    /// <summary>
    /// Fits uint8 frames [N, H, W, 3] to <paramref name="height"/>×<paramref name="width"/> by <paramref name="mode"/>.
    /// </summary>
    public static Tensor Fit(Tensor frames, int height, int width, ResizeMode mode)
    {
        CheckFrames(frames);
        if (mode == ResizeMode.Exact) return Resize(frames, height, width);
        using var scope = NewDisposeScope();
        var (h, w) = ((int)frames.shape[1], (int)frames.shape[2]);
        var (rh, rw) = CoverSize(h, w, height, width);
        var resized = Resize(frames, rh, rw);
        var (top, left) = CenterCropOffset(rh, rw, height, width);
        return resized.narrow(1, top, height).narrow(2, left, width).contiguous().MoveToOuterDisposeScope();
    }

    private static void CheckFrames(Tensor frames)
    {
        if (frames.dtype != ScalarType.Byte || frames.dim() != 4 || frames.shape[3] != 3)
            throw new InvalidInputException($"frames must be uint8 [N, H, W, 3], got {frames.dtype} [{string.Join(", ", frames.shape)}]");
    }
}
