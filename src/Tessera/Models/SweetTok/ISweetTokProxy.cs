using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// The frozen tokenizer SweetTok's stage 1 distils: its code ids on the latent grid are the decoder's targets, and
/// it decodes code ids back to pixels (the held-out evaluation of a stage-1 run).
/// </summary>
public interface ISweetTokProxy : IDisposable
{
    /// <summary>What the proxy is, for messages (model name and file).</summary>
    string Description { get; }

    /// <summary>Codes the targets range over (the decoder's logit count must equal it).</summary>
    long CodebookSize { get; }

    /// <summary>Clips [B, 3, T, H, W] in [-1, 1] → code ids [B, T', h, w] (int64), without gradients.</summary>
    Tensor Targets(Tensor clips);

    /// <summary>Code ids [B, T', h, w] → clips [B, 3, <paramref name="frames"/>, H, W] in [-1, 1] (clamped).</summary>
    Tensor Decode(Tensor ids, int frames);
}
