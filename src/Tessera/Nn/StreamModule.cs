using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>A layer of a video model: input and output are [B, C, T, H, W]; causal layers read and update the cache.</summary>
internal abstract class StreamModule : nn.Module<Tensor, CausalCache, Tensor>
{
    protected StreamModule(string name) : base(name) { }

    /// <summary>Runs <paramref name="layer"/> on <paramref name="h"/> and frees <paramref name="h"/>, so a deep stack holds one activation at a time; reports the step to <see cref="CausalCache.OnStep"/>.</summary>
    protected static Tensor Step(Tensor h, StreamModule layer, CausalCache cache)
    {
        Tensor next;
        using (h) next = layer.forward(h, cache);
        cache.OnStep?.Invoke();
        return next;
    }
}
