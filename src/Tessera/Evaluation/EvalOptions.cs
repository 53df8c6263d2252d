using Tessera.Metrics;
using Tessera.Metrics.Fvd;

namespace Tessera.Evaluation;

/// <summary>How <c>--long</c> fits a whole video to the lengths a causal v1.1 model streams without padding.</summary>
public enum LongVideoLength
{
    /// <summary>
    /// The reference's rule (<c>inference_evaluate.py --read_long_video</c>): keep the first
    /// <c>chunk·⌊(L−1)/chunk⌋+1</c> frames and drop the rest. Default, so numbers compare with VidTok's tables.
    /// </summary>
    TruncateAsReference,

    /// <summary>Tessera's rule: keep every frame; the tokenizer repeats the last frame up to <c>1 + k·tdf</c> and trims the output back.</summary>
    KeepAll,
}

/// <summary>Settings of one evaluation run (VidTok §10.3 protocol). Defaults are the reference's.</summary>
public sealed record EvalOptions
{
    /// <summary>Target frame rate: frames are sampled every <c>round(srcFps / Fps)</c> (30 → every frame of a 30 fps video).</summary>
    public double Fps { get; init; } = 30;

    /// <summary>Frame size after short-side resize (antialiased) and centre crop.</summary>
    public (int Height, int Width) Size { get; init; } = (256, 256);

    /// <summary>Frames per clip; null takes the family default (17 causal, 16 non-causal).</summary>
    public int? ClipFrames { get; init; }

    /// <summary>Whole video as one clip through the chunked (tiled) path; causal v1.1 models only, as in the reference.</summary>
    public bool LongVideo { get; init; }

    /// <summary>How <see cref="LongVideo"/> fits a video's length (default: the reference's truncation).</summary>
    public LongVideoLength LongVideoLength { get; init; } = LongVideoLength.TruncateAsReference;

    /// <summary>Extra per-frame metrics (LPIPS), added after PSNR and SSIM. The evaluator does not own them.</summary>
    public IReadOnlyList<IFrameMetric> ExtraMetrics { get; init; } = [];

    /// <summary>I3D (or other) clip features for FVD; null reports FVD as absent. The evaluator does not own it.</summary>
    public IVideoFeatureExtractor? FvdExtractor { get; init; }

    /// <summary>
    /// Frames per FVD window (the I3D protocol's 16). Each evaluated clip, padded tail included, is cut from its start into
    /// ⌊length / FvdClipFrames⌋ consecutive windows, originals and reconstructions alike: one window (the first 16 frames)
    /// of a 16- or 17-frame clip, several of a long video; the rest of a clip (the 17th frame of a causal clip) is left
    /// out. Clips shorter than this contribute no window, and FVD is then reported absent.
    /// </summary>
    public int FvdClipFrames { get; init; } = I3dFeatureExtractor.ProtocolFrames;

    /// <summary>Frames per video kept for the HTML report's original / reconstruction / error strip.</summary>
    public int SampleFrames { get; init; } = 4;

    /// <summary>Frames per metric batch (the reference groups clip frames by 16); bounds memory in long mode.</summary>
    public int MetricBatchFrames { get; init; } = 16;

    internal void Validate()
    {
        if (!(Fps > 0 && double.IsFinite(Fps))) throw new InvalidInputException($"eval fps must be positive, got {Fps}");
        if (Size.Height <= 0 || Size.Width <= 0) throw new InvalidInputException($"eval size must be positive, got {Size.Width}x{Size.Height} (width x height)");
        if (ClipFrames is <= 0) throw new InvalidInputException($"eval clip frames must be positive, got {ClipFrames}");
        if (SampleFrames < 0) throw new InvalidInputException($"sample frames must not be negative, got {SampleFrames}");
        if (MetricBatchFrames <= 0) throw new InvalidInputException($"metric batch frames must be positive, got {MetricBatchFrames}");
        if (FvdClipFrames <= 0) throw new InvalidInputException($"FVD window frames must be positive, got {FvdClipFrames}");
    }
}
