using Tessera.Inference;
using static TorchSharp.torch;

namespace Tessera.Models;

/// <summary>
/// One family's model under the <see cref="VideoTokenizer"/> facade. The facade checks the video against the
/// <see cref="ModelCard"/>, pads it to a frame count the card's rule accepts, and trims and clamps what
/// <see cref="Decode"/> returns; everything between pixels and codes is the family's. Both methods run inside
/// the facade's no_grad and dispose scope. Disposing the model frees its weights.
/// </summary>
internal abstract class TokenizerModel : nn.Module
{
    protected TokenizerModel(string name) : base(name) { }

    // Not public: TorchSharp's Module.to() maps public properties by name, and a family's own typed
    // Config property (VidTokModel.Config) would then appear twice.
    protected internal abstract ModelConfig ModelConfig { get; }

    public ModelCard Card => ModelConfig.Card;

    /// <summary>
    /// Codes for <paramref name="video"/> [B, 3, T, H, W] float32 in the card's range, T accepted by the card's
    /// frame rule; <paramref name="frames"/> ≤ T of them are real (the rest repeat the last one) and the code covers those.
    /// </summary>
    public abstract VideoCode Encode(Tensor video, int frames, TokenizerOptions options);

    /// <summary>
    /// Frames [B, 3, ≥ LeadingFrames + Frames, H, W] for a code this model's family made; the facade keeps
    /// <see cref="VideoCode.Frames"/> of them after <see cref="VideoCode.LeadingFrames"/>.
    /// </summary>
    public abstract Tensor Decode(VideoCode code, TokenizerOptions options);

    /// <summary>Whether a clip of <paramref name="frames"/> frames streams through the model chunk by chunk.</summary>
    public virtual bool UsesChunking(int frames, TokenizerOptions options) => false;

    /// <summary>
    /// Channels the encoder and decoder carry at full frame resolution, where their activations are largest (the memory
    /// planner's model of a pass, <see cref="MemoryCost"/>); null when the family does not say.
    /// </summary>
    public virtual (int Encoder, int Decoder)? FullResolutionChannels() => null;
}
