using Tessera.Models;
using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// An encoder/decoder pair run tile by tile (<see cref="TileSize"/>), usable wherever the model itself is: whole clips,
/// <see cref="TemporalChunker"/>'s long-video path and the streaming sessions. Each tile keeps its own causal caches
/// inside the caller's (<see cref="CausalCache.Tile"/>), so a tiled stream carries every tile's past exactly as an
/// untiled one carries the frame's. Stateless: it can wrap a model for one call or for a session's lifetime.
/// </summary>
internal sealed class TiledAutoencoder(ICausalAutoencoder inner, TileSize tile, int factor) : ICausalAutoencoder
{
    public int TemporalFactor => inner.TemporalFactor;

    public int EncodeSteps => inner.EncodeSteps;

    public int DecodeSteps => inner.DecodeSteps;

    public Tensor EncodeRaw(Tensor video, CausalCache cache) =>
        SpatialTiles.Run(video, (tile.Height, tile.Width), tile.Overlap, 1.0 / factor,
            (i, count, part) => inner.EncodeRaw(part, TileCache(cache, i, count)));

    public Tensor DecodeRaw(Tensor latent, CausalCache cache) =>
        SpatialTiles.Run(latent, (tile.Height / factor, tile.Width / factor), tile.Overlap / factor, factor,
            (i, count, part) => inner.DecodeRaw(part, TileCache(cache, i, count)));

    public int DecodeLookAhead => inner.DecodeLookAhead;

    public void PrepareOverlapDecode(CausalCache cache) => inner.PrepareOverlapDecode(cache);

    // Only the last tile reports progress, so a pass still counts one step per block.
    private static CausalCache TileCache(CausalCache outer, int index, int count)
    {
        var own = outer.Tile(index);
        own.OnStep = index == count - 1 ? outer.OnStep : null;
        return own;
    }
}

/// <summary>The one place a model's encoder/decoder pair is wrapped for <see cref="TokenizerOptions.Tile"/>.</summary>
internal static class Tiling
{
    /// <summary>
    /// The pair to run: <paramref name="model"/> itself, in bfloat16 when its weights are (<see cref="ReducedPrecision"/>),
    /// taking 8-bit frames as well as float ones (<see cref="ByteFrames"/>, converted tile by tile), and tiled when the
    /// options ask for tiles (tiles blend in float32).
    /// </summary>
    public static ICausalAutoencoder For(ICausalAutoencoder model, TokenizerOptions options, ModelCard card)
    {
        ICausalAutoencoder net = model is TorchSharp.torch.nn.Module m && IsBFloat16(m) ? new ReducedPrecision(model) : model;
        net = new ByteFrames(net, card.Range);
        return options.Tile is { } tile ? new TiledAutoencoder(net, tile, card.Compression.Height) : net;
    }

    private static bool IsBFloat16(TorchSharp.torch.nn.Module module) =>
        module.parameters().FirstOrDefault() is { } p && p.dtype == TorchSharp.torch.ScalarType.BFloat16;

    /// <summary>Why <paramref name="tile"/> cannot be used with a model, or null when it can.</summary>
    public static string? Check(TileSize tile, ModelCard card, bool tileable)
    {
        if (!tileable || card.InputSize is not null)
            return $"model '{card.Name}' ({card.Family}) encodes the whole frame at once; spatial tiling applies to convolutional models only";
        var c = card.Compression;
        if (c.Height != c.Width) return $"model '{card.Name}' compresses height and width differently ({c}); tiling needs one spatial factor";
        var m = Math.Max(card.SpatialMultiple, c.Height);
        if (tile.Width <= 0 || tile.Height <= 0 || tile.Width % m != 0 || tile.Height % m != 0)
            return $"tiles must be positive multiples of {m} pixels for model '{card.Name}', got {tile.Width}x{tile.Height}";
        if (tile.Overlap < 0 || tile.Overlap % c.Height != 0 || tile.Overlap >= Math.Min(tile.Width, tile.Height))
            return $"tile overlap must be a multiple of {c.Height} pixels smaller than the tile, got {tile.Overlap} for {tile.Width}x{tile.Height} tiles";
        return null;
    }
}
