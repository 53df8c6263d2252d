using Tessera.Video;

namespace Tessera.Dataset;

/// <summary>
/// How a data set is cut into clips: every video is sampled at <see cref="Fps"/> (VidTok's interval rule, see
/// <see cref="FrameSampling"/>), resized to <see cref="Size"/>, and cut into windows of <see cref="FramesPerClip"/>
/// sampled frames whose starts are <see cref="Stride"/> sampled frames apart.
/// </summary>
internal sealed record DatasetSampling
{
    public double? Fps { get; init; }
    public (int Height, int Width)? Size { get; init; }
    public ResizeMode ResizeMode { get; init; } = ResizeMode.ShortSideCenterCrop;
    public int FramesPerClip { get; init; } = 16;
    public int Stride { get; init; } = 16;

    public void Validate()
    {
        if (Fps is { } f && !(f > 0 && double.IsFinite(f))) throw new InvalidInputException($"sampling fps must be positive, got {f}");
        if (FramesPerClip <= 0) throw new InvalidInputException($"frames per clip must be positive, got {FramesPerClip}");
        if (Stride <= 0) throw new InvalidInputException($"stride must be positive, got {Stride}");
    }

    /// <summary>Read options that decode the first <paramref name="frames"/> sampled frames of a video.</summary>
    public ReadOptions Read(int frames) => new() { Fps = Fps, Size = Size, ResizeMode = ResizeMode, FrameCount = frames };

    /// <summary>
    /// Clip windows (start, frames) over <paramref name="sampledFrames"/> sampled frames: full windows only, except that a
    /// video shorter than one window gives one window of all its frames (the tokenizer pads it as <c>encode</c> does).
    /// </summary>
    public IEnumerable<(int Start, int Frames)> Windows(long sampledFrames)
    {
        if (sampledFrames <= 0) yield break;
        if (sampledFrames < FramesPerClip)
        {
            yield return (0, (int)sampledFrames);
            yield break;
        }
        for (long s = 0; s + FramesPerClip <= sampledFrames; s += Stride) yield return ((int)s, FramesPerClip);
    }
}
