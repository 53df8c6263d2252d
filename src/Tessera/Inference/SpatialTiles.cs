using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// Where tiles lie along one axis and how their outputs are blended: tiles of <c>tile</c> start every
/// <c>tile − overlap</c>, the last one flush with the far edge, so every tile has the full size (a frame no larger than
/// a tile is one tile, the untiled pass). A tile's weight rises linearly across the middle half of the overlap on
/// each side that faces another tile and is 1 elsewhere; outputs are summed with their weights and divided by the summed weights, so
/// overlaps of any width (the last tile's is often wider) blend continuously.
/// </summary>
internal static class SpatialTiles
{
    /// <summary>Tile starts along an axis of <paramref name="length"/>; all values in the same unit.</summary>
    public static IReadOnlyList<int> Starts(int length, int tile, int overlap)
    {
        if (length <= tile) return [0];
        var starts = new List<int>();
        for (var s = 0; s + tile < length; s += tile - overlap) starts.Add(s);
        starts.Add(length - tile);
        return starts;
    }

    /// <summary>Weights [<paramref name="tile"/>] of the tile at <paramref name="start"/> on an axis of <paramref name="length"/>.</summary>
    public static float[] Ramp(int start, int tile, int length, int overlap)
    {
        var w = new float[Math.Min(tile, length)];
        for (var i = 0; i < w.Length; i++)
        {
            var v = 1.0;
            if (overlap > 0 && start > 0) v = Math.Min(v, Rise(i + 0.5, overlap));
            if (overlap > 0 && start + tile < length) v = Math.Min(v, Rise(tile - i - 0.5, overlap));
            w[i] = (float)v;
        }
        return w;
    }

    // Weight at distance d from a tile edge that faces another tile: about 0 over the outer quarter of the overlap,
    // where the tile's own convolutions saw padding instead of the neighbour's pixels, then rising linearly to 1 across
    // the middle half. The neighbour covers that outer quarter with weight 1, so the seam is hidden where both tiles
    // had context. Never exactly 0, so a position covered only by edges still gets a value.
    private static double Rise(double d, int overlap) => Math.Clamp((d - overlap / 4.0) / (overlap / 2.0), 1e-3, 1.0);

    /// <summary>
    /// Runs <paramref name="run"/> on every tile of <paramref name="input"/> [B, C, T, H, W] (tile index, tile count, the
    /// tile's input) and blends the outputs [B, C', T', H·scale, W·scale] into one tensor. <paramref name="tileIn"/> and
    /// <paramref name="overlapIn"/> are in input units; outputs are <paramref name="scale"/> times larger (a fraction
    /// for an encoder). Only one tile's output is alive besides the blend.
    /// </summary>
    public static Tensor Run(Tensor input, (int Height, int Width) tileIn, int overlapIn, double scale, Func<int, int, Tensor, Tensor> run)
    {
        int height = (int)input.shape[3], width = (int)input.shape[4];
        var ys = Starts(height, tileIn.Height, overlapIn);
        var xs = Starts(width, tileIn.Width, overlapIn);
        int Out(int v) => (int)Math.Round(v * scale);
        int outHeight = Out(height), outWidth = Out(width), outOverlap = Out(overlapIn);
        Tensor? canvas = null;
        using var weights = zeros(outHeight, outWidth);
        var index = 0;
        foreach (var y in ys)
        {
            foreach (var x in xs)
            {
                using var scope = NewDisposeScope();
                int th = Math.Min(tileIn.Height, height), tw = Math.Min(tileIn.Width, width);
                var tile = input[.., .., .., y..(y + th), x..(x + tw)];
                var output = run(index++, ys.Count * xs.Count, tile);
                int oy = Out(y), ox = Out(x), oh = (int)output.shape[3], ow = (int)output.shape[4];
                if (canvas is null)
                {
                    canvas = zeros([output.shape[0], output.shape[1], output.shape[2], outHeight, outWidth], output.dtype);
                    canvas.MoveToOuterDisposeScope();
                }
                var ry = tensor(Ramp(oy, oh, outHeight, outOverlap)).view(-1, 1);
                var rx = tensor(Ramp(ox, ow, outWidth, outOverlap)).view(1, -1);
                var w = ry * rx;
                canvas[.., .., .., oy..(oy + oh), ox..(ox + ow)].add_(output.mul_(w), Scalars.One);
                weights[oy..(oy + oh), ox..(ox + ow)].add_(w, Scalars.One);
            }
        }
        return canvas!.div_(weights);
    }
}
