using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// Runs a model's encoder and decoder in bfloat16 (its weights already converted) behind a float32 interface, so
/// bottlenecks, tiling and callers see float32. A non-finite value in a pass stops it with a message instead of
/// letting garbage reach the codes or the video.
/// </summary>
internal sealed class ReducedPrecision(ICausalAutoencoder inner) : ICausalAutoencoder
{
    public int TemporalFactor => inner.TemporalFactor;

    public int EncodeSteps => inner.EncodeSteps;

    public int DecodeSteps => inner.DecodeSteps;

    public Tensor EncodeRaw(Tensor video, CausalCache cache) => Run(video, cache, inner.EncodeRaw, "encoder");

    public Tensor DecodeRaw(Tensor latent, CausalCache cache) => Run(latent, cache, inner.DecodeRaw, "decoder");

    public int DecodeLookAhead => inner.DecodeLookAhead;

    public void PrepareOverlapDecode(CausalCache cache) => inner.PrepareOverlapDecode(cache);

    private static Tensor Run(Tensor input, CausalCache cache, Func<Tensor, CausalCache, Tensor> pass, string what)
    {
        using var low = input.to_type(ScalarType.BFloat16);
        using var output = pass(low, cache);
        var result = output.to_type(ScalarType.Float32);
        using var finite = isfinite(result).all();
        if (!finite.item<bool>())
        {
            result.Dispose();
            throw new NumericalException($"the {what} produced NaN or infinite values in bfloat16 on {CpuInfo.Model}; run in float32 (TokenizerOptions.Precision = Float32, --dtype float32)");
        }
        return result;
    }
}
