using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>
/// Streaming state of one video passing through a causal VidTok model chunk by chunk: whether
/// the current chunk is the first, the frames each causal layer keeps from the previous chunk, and
/// how many trailing frames each layer must leave out of its cache (decoding with a one-latent overlap).
/// One instance per video and direction; the model modules are stateless.
/// </summary>
internal sealed class CausalCache : IDisposable
{
    private readonly Dictionary<nn.Module, Tensor> frames = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<nn.Module, int> offsets = new(ReferenceEqualityComparer.Instance);
    private readonly List<CausalCache> tiles = [];

    /// <summary>True while the first chunk of a video is processed: layers pad with zeros (v1.0) or copies of frame 0 (v1.1).</summary>
    public bool IsFirstChunk { get; set; } = true;

    /// <summary>A cache that every call treats as the first chunk and that keeps nothing (whole-clip inference).</summary>
    public static CausalCache None() => new() { keep = false };

    /// <summary>Called after each block of the encoder or decoder: progress inside one pass, which can take minutes.</summary>
    public Action? OnStep { get; set; }

    private bool keep = true;

    /// <summary>False for whole-clip inference: layers need not even slice out what they would cache.</summary>
    internal bool Keeps => keep;

    internal Tensor? Get(nn.Module layer) => frames.GetValueOrDefault(layer);

    internal void Set(nn.Module layer, Tensor value)
    {
        if (!keep) return;
        // The detached view shares the activation's storage: disposed here so it cannot keep the activation alive.
        using var detached = value.detach();
        var stored = detached.clone().DetachFromDisposeScope();
        if (frames.Remove(layer, out var old)) old.Dispose();
        frames[layer] = stored;
    }

    internal int OffsetOf(nn.Module layer) => offsets.GetValueOrDefault(layer);

    /// <summary>Frames at the end of a layer's padded input that must not enter its cache.</summary>
    public void SetOffset(nn.Module layer, int frameCount) => offsets[layer] = frameCount;

    public void ClearOffsets() => offsets.Clear();

    /// <summary>
    /// The cache of spatial tile <paramref name="index"/> of a tiled pass over this cache's stream: each tile carries
    /// its own past. Created on first use with this cache's mode and offsets, in this cache's chunk state, and
    /// disposed with it.
    /// </summary>
    internal CausalCache Tile(int index)
    {
        CausalCache tile;
        if (!keep)
        {
            tile = None();
            foreach (var (layer, n) in offsets) tile.offsets[layer] = n;
        }
        else
        {
            while (tiles.Count <= index)
            {
                var created = new CausalCache();
                foreach (var (layer, n) in offsets) created.offsets[layer] = n;
                tiles.Add(created);
            }
            tile = tiles[index];
        }
        tile.IsFirstChunk = IsFirstChunk;
        return tile;
    }

    public void Dispose()
    {
        foreach (var t in frames.Values) t.Dispose();
        frames.Clear();
        foreach (var t in tiles) t.Dispose();
        tiles.Clear();
    }
}
