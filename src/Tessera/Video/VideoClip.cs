using Tessera.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Video;

/// <summary>How <see cref="VideoClip.FromModelOutput"/> turns [0, 255] floats into bytes.</summary>
public enum PixelQuantization
{
    /// <summary>Truncate toward zero, as numpy <c>astype(np.uint8)</c> does in the VidTok reference script (default).</summary>
    Truncate,

    /// <summary>Round to nearest, ties to even (<c>torch.round</c>).</summary>
    Round,
}

/// <summary>
/// A decoded clip: <see cref="Frames"/> is a contiguous uint8 tensor [T, H, W, 3] of RGB pixels which the clip owns
/// (it is detached from any dispose scope and freed by <see cref="Dispose"/>).
/// </summary>
public sealed class VideoClip : IDisposable
{
    private readonly Tensor _frames;
    private bool _disposed;

    /// <summary>
    /// Wraps <paramref name="frames"/> (uint8 [T, H, W, 3], T ≥ 1). The clip takes ownership of the tensor
    /// (a contiguous copy is made when it is not contiguous) and disposes it with itself.
    /// </summary>
    public VideoClip(Tensor frames, double fps, VideoSource? source = null, IReadOnlyList<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.dtype != ScalarType.Byte || frames.dim() != 4 || frames.shape[3] != 3 || frames.shape[0] < 1)
            throw new InvalidInputException(
                $"video frames must be a uint8 tensor [T, H, W, 3] with T ≥ 1, got {frames.dtype} [{string.Join(", ", frames.shape)}]");
        if (!(fps > 0 && double.IsFinite(fps)))
            throw new InvalidInputException($"video fps must be positive, got {fps}");
        var f = frames.is_contiguous() ? frames : frames.contiguous();
        if (!ReferenceEquals(f, frames)) frames.Dispose();
        _frames = f.DetachFromDisposeScope();
        Fps = fps;
        Source = source;
        Warnings = warnings ?? [];
    }

    /// <summary>uint8 [T, H, W, 3] RGB, contiguous.</summary>
    public Tensor Frames
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _frames;
        }
    }

    /// <summary>Frames per second.</summary>
    public double Fps { get; }
    /// <summary>T, the number of frames.</summary>
    public int FrameCount => (int)_frames.shape[0];
    /// <summary>H in pixels.</summary>
    public int Height => (int)_frames.shape[1];
    /// <summary>W in pixels.</summary>
    public int Width => (int)_frames.shape[2];

    /// <summary>Where the clip was read from; null for clips built in memory.</summary>
    public VideoSource? Source { get; }

    /// <summary>Problems tolerated while decoding (see <see cref="ReadOptions.AllowDecodeErrors"/>).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// float32 [1, 3, T, H, W] in [-1, 1]: <c>(x / 255 - 0.5) / 0.5</c>, as torchvision ToTensor + Normalize(0.5, 0.5).
    /// The result belongs to the caller's dispose scope.
    /// </summary>
    public Tensor ToModelInput() => ToModelInput(Frames);

    /// <summary>
    /// float32 [1, 3, n, H, W] in [-1, 1] from uint8 RGB frames [n, H, W, 3] (a piece of a <see cref="VideoFrameStream"/>),
    /// as <see cref="ToModelInput()"/> maps a clip's frames. The result belongs to the caller's dispose scope.
    /// </summary>
    public static Tensor ToModelInput(Tensor frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.dtype != ScalarType.Byte || frames.dim() != 4 || frames.shape[3] != 3)
            throw new InvalidInputException($"video frames must be a uint8 tensor [n, H, W, 3], got {frames.dtype} [{string.Join(", ", frames.shape)}]");
        using var scope = NewDisposeScope();
        var x = ToSigned(frames);
        return x.permute(3, 0, 1, 2).unsqueeze(0).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// uint8 pixels of any shape to float32 in [-1, 1], element by element as <see cref="ToModelInput(Tensor)"/> maps
    /// them, so a part of a frame converted alone equals that part of the whole frame converted.
    /// </summary>
    internal static Tensor ToSigned(Tensor bytes) => bytes.to_type(ScalarType.Float32).div_(Scalars.Of(255f)).sub_(Scalars.Of(0.5f)).div_(Scalars.Of(0.5f));

    /// <summary>
    /// Builds a clip from a model output [1, 3, T, H, W] or [3, T, H, W] of floats in [-1, 1]: clamp to [-1, 1], then
    /// <c>(x + 1) / 2 * 255</c> in float32, then to uint8 by <paramref name="quantization"/>. The default,
    /// <see cref="PixelQuantization.Truncate"/>, matches the VidTok reference (<c>((x + 1) / 2 * 255).astype(np.uint8)</c>
    /// after clamping, which truncates toward zero). <paramref name="video"/> is not modified or disposed.
    /// </summary>
    public static VideoClip FromModelOutput(Tensor video, double fps, VideoSource? source = null,
        PixelQuantization quantization = PixelQuantization.Truncate)
    {
        ArgumentNullException.ThrowIfNull(video);
        using var scope = NewDisposeScope();
        var v = video;
        if (v.dim() == 5)
        {
            if (v.shape[0] != 1)
                throw new InvalidInputException($"model output batch must be 1 to make one clip, got [{string.Join(", ", v.shape)}]");
            v = v.squeeze(0);
        }
        if (v.dim() != 4 || v.shape[0] != 3)
            throw new InvalidInputException($"model output must be [1, 3, T, H, W] or [3, T, H, W], got [{string.Join(", ", video.shape)}]");
        if (!v.is_floating_point())
            throw new InvalidInputException($"model output must be a floating-point tensor, got {video.dtype}");
        var x = v.to(ScalarType.Float32, CPU).clamp(Scalars.Of(-1f), Scalars.Of(1f)).add(Scalars.Of(1f), Scalars.One).div_(Scalars.Of(2f)).mul_(Scalars.Of(255f));
        x = quantization == PixelQuantization.Round ? x.round_() : x.trunc_();
        var bytes = x.clamp_(Scalars.Of(0f), Scalars.Of(255f)).to_type(ScalarType.Byte).permute(1, 2, 3, 0).contiguous();
        var clip = new VideoClip(bytes, fps, source);
        return clip;
    }

    /// <summary>Frees <see cref="Frames"/>; later access throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _frames.Dispose();
    }
}
