namespace Tessera.Inference;

/// <summary>
/// The token ids of one video as plain arrays, for callers that keep TorchSharp out of their code (see
/// <see cref="VideoTokenizer.EncodeRgb24"/>). <paramref name="Ids"/> holds the ids row-major over <paramref name="Shape"/>
/// (the model's single token group without the batch axis; VidTok FSQ: [T', H', W']), each in
/// [0, <see cref="Models.ModelCard"/> codebook size). <paramref name="Frames"/> is the video's frame count (decoding
/// returns exactly this many) and <paramref name="LeadingFrames"/> the decoder frames before the first one (a causal
/// encoder's front padding), as in <see cref="VideoCode"/>.
/// </summary>
public sealed record TokenArray(int[] Ids, int[] Shape, int Frames, int LeadingFrames);
