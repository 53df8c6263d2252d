using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Inference;

// Plain-array entry points: packed RGB24 frames in, token ids out, and back, without TorchSharp types.
public sealed partial class VideoTokenizer
{
    /// <summary>
    /// Encodes <paramref name="frameCount"/> packed RGB24 frames (<paramref name="height"/> × <paramref name="width"/> × 3
    /// bytes each, row-major, as FFmpeg's <c>rawvideo rgb24</c>) into token ids, exactly as <see cref="Encode"/> encodes the
    /// same frames converted to <c>(x / 255 − 0.5) / 0.5</c> in the card's range. Discrete models with one token group only
    /// (VidTok FSQ); others are refused. Synchronous compute; <paramref name="cancellationToken"/> as in <see cref="Encode"/>.
    /// </summary>
    /// <returns>The ids (a new array the caller owns) with their grid shape and frame counts.</returns>
    /// <exception cref="InvalidInputException">The byte count does not match the sizes, the sizes do not suit the model,
    /// or the model makes continuous latents or several token groups.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public TokenArray EncodeRgb24(ReadOnlySpan<byte> frames, int frameCount, int height, int width, CancellationToken cancellationToken = default)
    {
        RequireOneTokenGroup();
        if (frameCount <= 0 || height <= 0 || width <= 0)
            throw new InvalidInputException($"rgb24 frames need a positive frame count, height and width, got {frameCount} frames of {width}x{height} (width x height)");
        var frameBytes = (long)height * width * 3;
        if (frames.Length != frameCount * frameBytes)
            throw new InvalidInputException($"{frameCount} rgb24 frames of {width}x{height} (width x height) take {frameCount * frameBytes} bytes; got {frames.Length}");
        using var scope = NewDisposeScope();
        using var clip = new VideoClip(tensor(frames.ToArray(), [frameCount, height, width, 3], ScalarType.Byte), 1);
        var x = Card.Range.FromSigned(clip.ToModelInput());
        using var code = (TokenIds)Encode(x, cancellationToken);
        var ids = code.Ids[0].contiguous();
        return new TokenArray(ids.data<int>().ToArray(), [.. ids.shape.Select(d => (int)d)], code.Frames, code.LeadingFrames) { FrameSize = code.FrameSize };
    }

    /// <summary>
    /// Decodes ids made by <see cref="EncodeRgb24"/> (or any ids of this model's single token group) into packed RGB24
    /// frames: <see cref="TokenArray.Frames"/> frames of H × W × 3 bytes, H and W being <see cref="TokenArray.FrameSize"/>
    /// when set (frames padded to the model's multiple by <see cref="EncodeRgb24"/>), else the grid's size times the card's
    /// spatial factor. Pixels are <see cref="Decode"/>'s output clamped to the range and truncated to bytes, as the video
    /// writer stores them. Synchronous compute; <paramref name="cancellationToken"/> as in <see cref="Decode"/>.
    /// </summary>
    /// <returns>A new byte array the caller owns.</returns>
    /// <exception cref="InvalidInputException">The ids do not fit the model (shape, count or range).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public byte[] DecodeToRgb24(TokenArray tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var group = RequireOneTokenGroup();
        if (tokens.Shape.Length != group.Rank || tokens.Shape.Any(d => d <= 0))
            throw new InvalidInputException($"token ids of model '{Config.Name}' have shape [{string.Join(", ", group.Axes)}] (positive sizes), got [{string.Join(", ", tokens.Shape)}]");
        if (tokens.Ids.LongLength != tokens.Shape.Aggregate(1L, (a, d) => a * d))
            throw new InvalidInputException($"{tokens.Ids.Length} token ids do not fill the shape [{string.Join(", ", tokens.Shape)}]");
        if (tokens.Ids.Any(id => id < 0 || id >= group.CodebookSize))
            throw new InvalidInputException($"token ids of model '{Config.Name}' must lie in [0, {group.CodebookSize}), found [{tokens.Ids.Min()}, {tokens.Ids.Max()}]");
        using var scope = NewDisposeScope();
        var ids = tensor(tokens.Ids, [1, .. tokens.Shape.Select(d => (long)d)], ScalarType.Int32);
        using var code = new TokenIds(ids, Config, tokens.Frames, tokens.LeadingFrames) { FrameSize = tokens.FrameSize };
        var y = Decode(code, cancellationToken);
        using var clip = VideoClip.FromModelOutput(Card.Range.ToSigned(y), 1);
        return clip.Frames.data<byte>().ToArray();
    }

    private Models.TokenGroup RequireOneTokenGroup()
    {
        var card = Card;
        if (!card.IsDiscrete)
            throw new InvalidInputException($"model '{card.Name}' is continuous (KL latents), not token ids; use Encode and Latents.Values for its latents");
        if (card.TokenGroups.Count != 1)
            throw new InvalidInputException($"model '{card.Name}' has {card.TokenGroups.Count} token groups ([{string.Join(", ", card.TokenGroups.Select(g => g.Name))}]); use Encode and TokenIds.Groups");
        return card.TokenGroups[0];
    }
}
