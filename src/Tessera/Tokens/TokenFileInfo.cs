namespace Tessera.Tokens;

/// <summary>Where a token file came from: stored as safetensors metadata next to the tokens.</summary>
public sealed record TokenFileInfo
{
    /// <summary>Path of the video or frames the tokens were made from.</summary>
    public string? Source { get; init; }

    /// <summary>Frame rate of the encoded clip (after resampling), used when decoding to a video file.</summary>
    public double? Fps { get; init; }

    /// <summary>Frame size of the source before resizing.</summary>
    public (int Height, int Width)? OriginalSize { get; init; }

    /// <summary>Frame size the model saw.</summary>
    public (int Height, int Width)? ProcessedSize { get; init; }

    /// <summary>Seconds into the source where the clip starts.</summary>
    public double? Start { get; init; }

    /// <summary>The model argument used to encode (preset name or model file path), so decoding can find it.</summary>
    public string? ModelSource { get; init; }

    /// <summary>The weights file used to encode, when separate from the model argument.</summary>
    public string? WeightsSource { get; init; }

    public string TesseraVersion { get; init; } = TesseraInfo.Version;
}
