namespace Tessera.Training.Data;

/// <summary>What a training clip is: frame count, sampling rate and square size (VidTok: 17 frames at 3 fps).</summary>
public sealed record ClipSpec
{
    /// <summary>Frames per clip; the model's frame rule must accept it (VidTok causal: 17).</summary>
    public int Frames { get; init; } = 17;
    /// <summary>Frame rate the clip is sampled at from the source video.</summary>
    public double Fps { get; init; } = 3;
    /// <summary>Side of the square crop in pixels.</summary>
    public int Size { get; init; } = 128;

    /// <summary>Random crop after the short-side resize (training); centre crop when false (evaluation).</summary>
    public bool RandomCrop { get; init; } = true;

    /// <summary>Short side is resized to Size·U(1, MaxScale) before cropping when random cropping.</summary>
    public double MaxScale { get; init; } = 1.25;

    /// <summary>
    /// Mirrors half the clips left to right when random cropping (VidTok's own data set does not; off by default so
    /// its recipe is unchanged).
    /// </summary>
    public bool RandomFlip { get; init; }

    /// <summary>
    /// Probability that a random-cropped clip has its hue turned by a uniform random angle (<see cref="HueRotation"/>:
    /// luma kept, chroma rotated). 0, VidTok's recipe, turns it off. On footage with little colour it stops a model from
    /// predicting a clip's chroma from its luma instead of coding it.
    /// </summary>
    public double RandomHue { get; init; }
}

/// <summary>
/// One clip to decode: which video, the first source frame, the crop randomness, whether to mirror it and the hue
/// rotation in radians (null: none).
/// </summary>
internal readonly record struct ClipRequest(int Video, long StartFrame, double Scale, double CropY, double CropX, bool Flip = false, double? Hue = null);
