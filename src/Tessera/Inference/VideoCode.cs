using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// What a tokenizer produces for a video: discrete <see cref="TokenIds"/> (named token groups) or continuous
/// <see cref="Latents"/>. Owns its tensors; dispose it when done.
/// </summary>
public abstract class VideoCode : IDisposable
{
    private protected VideoCode(ModelConfig config, int frames, int leadingFrames)
    {
        if (frames <= 0) throw new InvalidInputException($"a video code must cover at least one frame, got {frames}");
        if (leadingFrames < 0) throw new InvalidInputException($"leading frames must not be negative, got {leadingFrames}");
        Config = config;
        Frames = frames;
        LeadingFrames = leadingFrames;
    }

    /// <summary>The model configuration that produced (and can decode) this code.</summary>
    public ModelConfig Config { get; }

    /// <summary>The card of <see cref="Config"/>.</summary>
    public ModelCard Card => Config.Card;

    /// <summary>Frames of the video that was encoded; decoding returns exactly this many.</summary>
    public int Frames { get; }

    /// <summary>
    /// Decoder output frames that precede the video's first frame (a causal encoder's front padding, when the
    /// decoder returns them).
    /// </summary>
    public int LeadingFrames { get; }

    /// <summary>
    /// The frame size (height, width) decoding returns when the encoded frames were padded up to the model's spatial
    /// multiple (<see cref="SizePolicy.PadEdges"/>); null when they were not, and decoding returns the decoder's full size.
    /// </summary>
    public (int Height, int Width)? FrameSize
    {
        get => frameSize;
        internal set
        {
            if (value is { } v && (v.Height <= 0 || v.Width <= 0))
                throw new InvalidInputException($"a frame size must be positive, got {v.Width}x{v.Height} (width x height)");
            frameSize = value;
        }
    }

    private (int Height, int Width)? frameSize;

    /// <summary>Latent grid size (T', H', W') of a code laid out on one grid.</summary>
    public abstract (long Time, long Height, long Width) GridSize { get; }

    /// <summary>Videos in the batch.</summary>
    public abstract long BatchSize { get; }

    /// <summary>Moves the code's tensors out of the current dispose scope (the facade returns codes from its scope).</summary>
    internal abstract void MoveToOuterDisposeScope();

    /// <summary>Disposes the code's tensors.</summary>
    public abstract void Dispose();
}
