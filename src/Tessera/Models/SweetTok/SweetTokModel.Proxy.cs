using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

internal sealed partial class SweetTokModel
{
    private ISweetTokProxy? proxyPixels;
    private bool softProxyCodes;

    /// <summary>The proxy whose decoder is this model's pixel path (a model trained against a VidTok-FSQ proxy), if any.</summary>
    public ISweetTokProxy? PixelProxy => proxyPixels;

    /// <summary>Whether <see cref="PixelProxy"/> decodes soft codes (stage 2) rather than the argmax code per position (stage 1).</summary>
    public bool SoftProxyCodesDecoded => softProxyCodes;

    /// <summary>
    /// Makes <paramref name="proxy"/>'s decoder the pixel path (the model owns and disposes it): a stage-2 model decodes
    /// soft codes (softmax × the proxy's code vectors), as it was trained; a stage-1 model the argmax code per
    /// position, as its held-out evaluation did.
    /// </summary>
    public void AttachProxy(ISweetTokProxy proxy, bool soft)
    {
        if (pixel_decoder is not null) throw new InvalidOperationException("this SweetTok model already has the OmniTokenizer pixel path");
        if (proxy.CodebookSize != Config.ProxyCodebookSize)
            throw new ConfigException($"proxy {proxy.Description} has {proxy.CodebookSize} codes; SweetTok model '{Config.Name}' predicts {Config.ProxyCodebookSize}");
        proxyPixels?.Dispose();
        proxyPixels = proxy;
        softProxyCodes = soft;
    }

    private bool HasPixelPath => pixel_decoder is not null || proxyPixels is not null;

    // Logits → video in [-0.5, 0.5] through whichever pixel path the model has.
    private Tensor LogitsToVideo(Tensor logits)
    {
        if (pixel_decoder is not null) return DecodePixels(logits);
        var proxy = proxyPixels ?? throw new InvalidOperationException("this SweetTok model has no pixel path (stage-1 layout without a proxy)");
        using var scope = NewDisposeScope();
        Tensor video;
        if (softProxyCodes)
        {
            var soft = logits.softmax(1).permute(0, 2, 3, 4, 1).matmul(proxy.CodeVectors).permute(0, 4, 1, 2, 3).contiguous();
            video = proxy.DecodeVectors(soft, Config.Frames);
        }
        else video = proxy.Decode(logits.argmax(1), Config.Frames);
        return scope.MoveToOuter(video * 0.5);
    }
}
