namespace Tessera.Inference;

/// <summary>
/// The token ids of one video as plain arrays, for callers that keep TorchSharp out of their code (see
/// <see cref="VideoTokenizer.EncodeRgb24"/> and <see cref="VideoTokenizer.DecodeToRgb24"/>).
/// </summary>
/// <param name="Ids">The ids, row-major over <paramref name="Shape"/>, each in [0, the token group's codebook size).</param>
/// <param name="Shape">The grid of the model's single token group without the batch axis (VidTok FSQ: [T', H', W']).</param>
/// <param name="Frames">Frames of the encoded video; decoding returns exactly this many.</param>
/// <param name="LeadingFrames">Decoder output frames before the video's first frame (a causal encoder's front padding),
/// as <see cref="VideoCode.LeadingFrames"/>.</param>
public sealed record TokenArray(int[] Ids, int[] Shape, int Frames, int LeadingFrames)
{
    /// <summary>The frame size (height, width) decoding crops to when the frames were padded (<see cref="VideoCode.FrameSize"/>); null when they were not.</summary>
    public (int Height, int Width)? FrameSize { get; init; }
}
