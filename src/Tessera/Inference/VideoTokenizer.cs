using TorchSharp;
using Tessera.Models;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// Loads a model of any registered family once and turns videos into <see cref="VideoCode"/>s and back.
/// Videos are float32 [B, 3, T, H, W] (or [3, T, H, W]) in the model card's range ([-1, 1] for VidTok);
/// decoding returns exactly the encoded frame count, unclamped (see <see cref="Decode"/>). Each call runs under no_grad in
/// its own dispose scope.
/// </summary>
public sealed partial class VideoTokenizer : IDisposable
{
    private readonly TokenizerModel model;

    private readonly bool ownsModel;

    internal VideoTokenizer(TokenizerModel model, TokenizerOptions? options = null) : this(model, options, ownsModel: true) { }

    private VideoTokenizer(TokenizerModel model, TokenizerOptions? options, bool ownsModel)
    {
        this.model = model;
        this.ownsModel = ownsModel;
        Options = options ?? new TokenizerOptions();
        var factor = model.Card.Compression.Time;
        if (Options.TemporalChunk < 0 || (Options.TemporalChunk > 0 && Options.TemporalChunk % factor != 0))
            throw new ConfigException($"temporal chunk must be a positive multiple of the temporal factor {factor} (or 0 to disable), got {Options.TemporalChunk}");
        if (Options.Tile is { } tile && Tiling.Check(tile, model.Card, model is ICausalAutoencoder) is { } problem)
            throw new ConfigException(problem);
        if (Resolve(Options.Precision) == ComputePrecision.BFloat16 && (model is ICausalAutoencoder || Options.Precision == ComputePrecision.BFloat16))
        {
            if (model is not ICausalAutoencoder)
                throw new ConfigException($"model '{model.Card.Name}' ({model.Card.Family}) computes in float32 only; bfloat16 inference applies to convolutional models");
            model.to(ScalarType.BFloat16);
        }
        model.eval();
    }

    /// <summary>The configuration of the loaded model (its preset name, family and card).</summary>
    public ModelConfig Config => model.ModelConfig;
    /// <summary>What the model takes and produces: frame rule, spatial multiple, value range, compression, token groups.</summary>
    public ModelCard Card => model.Card;
    /// <summary>The inference settings this tokenizer was loaded with.</summary>
    public TokenizerOptions Options { get; }
    internal TokenizerModel Model => model;

    /// <summary>What the memory planner needs of the model (<see cref="MemoryCost"/>); null when its family does not say.</summary>
    internal ModelFootprint? Footprint => model.FullResolutionChannels() is { } widths
        ? new ModelFootprint(model.parameters().Sum(p => p.numel() * p.ElementSize), widths.Encoder, widths.Decoder)
        : null;

    /// <summary>
    /// A tokenizer over the same loaded model with other options (the CLI's plan for a memory budget, made once the frame
    /// size is known). It shares the weights: disposing it leaves them to this tokenizer, which must outlive it.
    /// </summary>
    internal VideoTokenizer WithOptions(TokenizerOptions options) => new(model, options, ownsModel: false);

    /// <summary>Whether a clip of this many frames goes through the chunked (long-video) path.</summary>
    public bool UsesChunking(int frames) => model.UsesChunking(frames, Options);

    /// <summary>
    /// Encodes video [B, 3, T, H, W] or [3, T, H, W] (float, in the card's range) into a code the caller owns and disposes.
    /// Synchronous compute on the calling thread. <paramref name="cancellationToken"/> is checked before the pass and after
    /// every encoder block of every temporal chunk (where the family reports blocks, as VidTok does); a cancelled call throws
    /// <see cref="OperationCanceledException"/> and frees everything it allocated.
    /// </summary>
    /// <exception cref="InvalidInputException">The video's shape, size or frame count does not suit the model.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <returns>
    /// <see cref="TokenIds"/> (int32 ids, [B, T', H', W'] per token group) for a discrete model, else <see cref="Latents"/>
    /// (float32 [B, C, T', H', W']); <see cref="VideoCode.Frames"/> is T. The caller owns the code and disposes it; the input
    /// tensor is neither kept nor disposed.
    /// </returns>
    public VideoCode Encode(Tensor video, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        return EncodeChecked(CheckVideo(video), video.shape[^2], video.shape[^1], cancellationToken);
    }

    /// <summary>
    /// Encodes 8-bit RGB frames uint8 [T, H, W, 3] (a <see cref="Video.VideoClip"/>'s frames, a stream's piece) exactly as
    /// <see cref="Encode"/> encodes <see cref="Video.VideoClip.ToModelInput(Tensor)"/> of them mapped to the card's range,
    /// without a float copy of the whole clip: a model that runs through <see cref="Tiling"/> converts each tile (the
    /// whole pass when untiled) as its encoder takes it (<see cref="ByteFrames"/>); another model gets the clip converted.
    /// </summary>
    internal VideoCode EncodeFrames(Tensor frames, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        var x = CheckFrames(frames);
        // Every ICausalAutoencoder (VidTok) encodes through Tiling.For, which takes bytes; other families take floats.
        if (model is not ICausalAutoencoder) x = ByteFrames.ToModel(x, Card.Range);
        return EncodeChecked(x, frames.shape[1], frames.shape[2], cancellationToken);
    }

    // x is the checked video (padded to the model's multiple where needed); height and width are the caller's own.
    private VideoCode EncodeChecked(Tensor x, long height, long width, CancellationToken cancellationToken)
    {
        var frames = (int)x.shape[2];
        x = FrameRules.PadTo(x, FramesToEncode(frames));
        var code = model.Encode(x, frames, CancellingProgress.Apply(Options, cancellationToken));
        // A code not yet moved out is freed with the scope.
        cancellationToken.ThrowIfCancellationRequested();
        code.FrameSize = PaddedFrom(height, width);
        code.MoveToOuterDisposeScope();
        return code;
    }

    /// <summary>
    /// Reconstruction [B, 3, T, H, W] float32 with T = <see cref="VideoCode.Frames"/>: the decoder's output exactly as
    /// the reference's <c>decode</c> returns it, nominally in the card's range but not clamped (a trained decoder
    /// overshoots slightly). Video writers and metrics clamp; callers comparing tensors get the unclamped values.
    /// The caller owns the returned tensor. <paramref name="cancellationToken"/> is checked before the pass and after every
    /// decoder block of every temporal chunk; a cancelled call throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <exception cref="InvalidInputException">The code comes from another family or decodes to fewer frames than it claims.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <returns>A new tensor the caller owns and disposes; <paramref name="code"/> is neither kept nor disposed.</returns>
    public Tensor Decode(VideoCode code, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (code.Config.FamilyName != Config.FamilyName)
            throw new InvalidInputException($"code from {code.Config.FamilyName} model '{code.Config.Name}' cannot be decoded by {Config.FamilyName} model '{Config.Name}'");
        using var grad = no_grad();
        using var scope = NewDisposeScope();
        var output = model.Decode(code, CancellingProgress.Apply(Options, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
        var available = (int)output.shape[2] - code.LeadingFrames;
        if (available < code.Frames)
            throw new InvalidInputException($"the code decodes to {available} video frames, fewer than the {code.Frames} it claims");
        var video = SpatialPadding.Crop(output[.., .., code.LeadingFrames..(code.LeadingFrames + code.Frames)], code.FrameSize).contiguous();
        return video.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A session that tokenizes one stream of frames pushed in pieces (see <see cref="EncodeSession"/>).
    /// <paramref name="cancellationToken"/> is checked after every encoder block; once it fires, the session's calls throw
    /// <see cref="OperationCanceledException"/> and the session can only be disposed.
    /// </summary>
    /// <exception cref="InvalidInputException">The model does not stream (<see cref="ModelCard.Streams"/>), the temporal chunk is 0, or latents are sampled.</exception>
    public EncodeSession StartEncode(int expectedFrames = 0, CancellationToken cancellationToken = default) => new(this, expectedFrames, cancellationToken);

    /// <summary>
    /// A session that decodes one stream of codes pushed in pieces (see <see cref="DecodeSession"/>).
    /// <paramref name="cancellationToken"/> is checked after every decoder block; once it fires, the session can only be disposed.
    /// </summary>
    /// <exception cref="InvalidInputException">The model does not stream (<see cref="ModelCard.Streams"/>) or the temporal chunk is 0.</exception>
    public DecodeSession StartDecode(int expectedLatents = 0, CancellationToken cancellationToken = default) => new(this, expectedLatents, cancellationToken);

    /// <summary>Frees the model's weights; codes and tensors already returned stay valid.</summary>
    public void Dispose()
    {
        if (ownsModel) model.Dispose();
    }

    /// <summary><see cref="ComputePrecision.Auto"/> made concrete for this CPU (bfloat16 where it has bfloat16 instructions).</summary>
    public static ComputePrecision Resolve(ComputePrecision precision) => precision switch
    {
        ComputePrecision.Auto => CpuInfo.HasNativeBf16 == true ? ComputePrecision.BFloat16 : ComputePrecision.Float32,
        _ => precision,
    };

    internal int FramesToEncode(int frames)
    {
        if (FrameRules.Accepts(Config, frames)) return frames;
        if (Options.Frames == FramePolicy.Refuse)
            throw new InvalidInputException($"model '{Config.Name}' takes {FrameRules.Describe(Config)}; got {frames} (use the pad policy to repeat the last frame up to {FrameRules.NextAccepted(Config, frames)} and trim the output back)");
        return FrameRules.NextAccepted(Config, frames);
    }

    internal Tensor CheckVideo(Tensor video)
    {
        var x = video.dim() == 4 ? video.unsqueeze(0) : video;
        if (x.dim() != 5 || x.shape[1] != 3)
            throw new InvalidInputException($"video must be [B, 3, T, H, W] or [3, T, H, W], got [{string.Join(", ", video.shape)}]");
        return CheckSize(x).to_type(ScalarType.Float32);
    }

    /// <summary>uint8 RGB frames [T, H, W, 3] as a uint8 view [1, 3, T, H, W], checked as <see cref="CheckVideo"/> checks video.</summary>
    internal Tensor CheckFrames(Tensor frames)
    {
        if (frames.dtype != ScalarType.Byte || frames.dim() != 4 || frames.shape[3] != 3)
            throw new InvalidInputException($"video frames must be a uint8 tensor [T, H, W, 3], got {frames.dtype} [{string.Join(", ", frames.shape)}]");
        return CheckSize(frames.permute(3, 0, 1, 2).unsqueeze(0));
    }

    // A size the model cannot take is padded (its edge pixels repeated) or refused, as Options.Sizes says.
    private Tensor CheckSize(Tensor x)
    {
        if (x.shape[2] < 1) throw new InvalidInputException("video has no frames");
        if (PaddedFrom(x.shape[3], x.shape[4]) is null) return x;
        var card = Card;
        if (Options.Sizes == SizePolicy.Refuse)
            throw new InvalidInputException($"model '{card.Name}' ({card.Compression}) needs height and width divisible by {card.SpatialMultiple}, got {x.shape[4]}x{x.shape[3]} (width x height); resize or crop the video (e.g. --size), or pad its edges (SizePolicy.PadEdges)");
        return SpatialPadding.PadEdges(x, card.SpatialMultiple);
    }

    /// <summary>The frame size a code records: (height, width) when the model needs them padded, else null.</summary>
    internal (int Height, int Width)? PaddedFrom(long height, long width)
    {
        var m = Card.SpatialMultiple;
        return height % m == 0 && width % m == 0 ? null : ((int)height, (int)width);
    }
}
