using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>A layer of a video model: input and output are [B, C, T, H, W]; causal layers read and update the cache.</summary>
public abstract class StreamModule : nn.Module<Tensor, CausalCache, Tensor>
{
    protected StreamModule(string name) : base(name) { }
}
