namespace Tessera.Tokens;

/// <summary>Where a token file came from: stored as safetensors metadata next to the tokens.</summary>
public sealed record TokenFileInfo
{
    /// <summary>
    /// The video or frames the tokens were made from: the file name (Tessera's CLI records a full path only when asked
    /// to, since a path leaks the machine's layout); files written before 0.x hold a full path.
    /// </summary>
    public string? Source { get; init; }

    /// <summary>Size in bytes of the source file (a file, not a frame folder).</summary>
    public long? SourceBytes { get; init; }

    /// <summary>SHA-256 of the source file, lowercase hex: what identifies the input wherever it lives.</summary>
    public string? SourceSha256 { get; init; }

    /// <summary>Frame rate of the encoded clip (after resampling), used when decoding to a video file.</summary>
    public double? Fps { get; init; }

    /// <summary>Frame size of the source before resizing.</summary>
    public (int Height, int Width)? OriginalSize { get; init; }

    /// <summary>Frame size the model saw.</summary>
    public (int Height, int Width)? ProcessedSize { get; init; }

    /// <summary>Seconds into the source where the clip starts.</summary>
    public double? Start { get; init; }

    /// <summary>
    /// The model used to encode, so decoding can find it: a preset or bundled name, a model file's name (with
    /// <see cref="ModelSha256"/>), or a full path (older files, or when paths are recorded on request).
    /// </summary>
    public string? ModelSource { get; init; }

    /// <summary>SHA-256 of the model file, lowercase hex (null for a preset without a file).</summary>
    public string? ModelSha256 { get; init; }

    /// <summary>The weights file used to encode, when separate from the model argument (name or full path, as the model).</summary>
    public string? WeightsSource { get; init; }

    /// <summary>SHA-256 of the weights file, lowercase hex.</summary>
    public string? WeightsSha256 { get; init; }

    /// <summary>The Tessera version that wrote the file (defaults to this one's, <see cref="TesseraInfo.Version"/>).</summary>
    public string TesseraVersion { get; init; } = TesseraInfo.Version;

    /// <summary>Also store a continuous code's posterior log-variance (<see cref="Inference.Latents.LogVar"/>) as tensor <c>logvar</c>.</summary>
    public bool IncludeLogVar { get; init; }

    /// <summary>Further metadata written as it is (e.g. a data set's latent normalisation); not read back by <c>Load</c>.</summary>
    public IReadOnlyDictionary<string, string>? Extra { get; init; }
}
