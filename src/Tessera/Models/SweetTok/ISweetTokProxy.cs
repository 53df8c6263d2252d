using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// The frozen tokenizer SweetTok's stage 1 distils: its code ids on the latent grid are the decoder's targets, and
/// it decodes code ids back to pixels (the held-out evaluation of a stage-1 run).
/// </summary>
internal interface ISweetTokProxy : IDisposable
{
    /// <summary>What the proxy is, for messages (model name and file).</summary>
    string Description { get; }

    /// <summary>Codes the targets range over (the decoder's logit count must equal it).</summary>
    long CodebookSize { get; }

    /// <summary>Clips [B, 3, T, H, W] in [-1, 1] → code ids [B, T', h, w] (int64), without gradients.</summary>
    Tensor Targets(Tensor clips);

    /// <summary>The proxy's code vectors [K, code dim], in id order.</summary>
    Tensor CodeVectors { get; }

    /// <summary>The proxy's pixel decoder, which stage 2 fine-tunes (frozen until then).</summary>
    nn.Module PixelDecoder { get; }

    /// <summary>Code vectors [B, code dim, T', h, w] (soft codes in stage 2) → clips [B, 3, <paramref name="frames"/>, H, W] in [-1, 1], unclamped, with gradients.</summary>
    Tensor DecodeVectors(Tensor vectors, int frames);

    /// <summary>Code ids [B, T', h, w] → clips [B, 3, <paramref name="frames"/>, H, W] in [-1, 1] (clamped).</summary>
    Tensor Decode(Tensor ids, int frames);

    /// <summary>
    /// The proxy at <paramref name="path"/>: an OmniTokenizer checkpoint (the official proxy, built at
    /// <paramref name="config"/>'s proxy sizes) or a Tessera VidTok-FSQ model file.
    /// </summary>
    static ISweetTokProxy Load(string path, SweetTokConfig config)
    {
        if (!File.Exists(path)) throw new ConfigException($"proxy '{path}' does not exist");
        return OmniTokenizerProxy.TryLoad(path, config) ?? (ISweetTokProxy)VidTokFsqProxy.Load(path);
    }
}
