namespace Tessera.Inference;

/// <summary>
/// Spatial tiling of one encode or decode (<see cref="TokenizerOptions.Tile"/>): frames wider or taller than a tile are
/// cut into overlapping <paramref name="Width"/> x <paramref name="Height"/> tiles (pixels), each tile goes through the
/// model on its own (with its own causal caches), and neighbouring tiles are blended with linear ramps across their
/// <paramref name="Overlap"/> pixels: encoder outputs in latent space before the bottleneck, decoder outputs in pixel space.
/// All three are multiples of the model's spatial factor, and the overlap is smaller than the tile.
/// </summary>
public sealed record TileSize(int Width, int Height, int Overlap)
{
    /// <summary>e.g. "256x256 tiles, 64 px overlap".</summary>
    public override string ToString() => $"{Width}x{Height} tiles, {Overlap} px overlap";
}
