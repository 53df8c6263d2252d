using Tessera.Models;

namespace Tessera.Inference;

/// <summary>A tiling and temporal chunk chosen for a memory budget, with the peak <see cref="MemoryCost"/> predicts for it.</summary>
internal sealed record MemoryPlan(TileSize? Tile, int TemporalChunk, int TilesPerFrame, long PredictedBytes)
{
    /// <summary>One line, e.g. "512x512 tiles, 128 px overlap, 12 tiles per frame, chunks of 16 frames, predicted peak 3.10 GiB".</summary>
    public override string ToString() =>
        $"{(Tile is { } t ? $"{t}, {TilesPerFrame} tiles per frame" : "whole frames (no tiling)")}, " +
        $"{(TemporalChunk > 0 ? $"chunks of {TemporalChunk} frames" : "no temporal chunks")}, predicted peak {MemorySize.Show(PredictedBytes)}";
}

/// <summary>
/// Picks the tile and temporal chunk for a memory budget from <see cref="MemoryCost"/>: the chunk stays at the default
/// (the reference's 16) with the largest tile that fits, whole frames first; only when even the smallest tile does not
/// fit is the chunk shortened (a multiple of the temporal factor), again with the largest tile that fits. Tiles cost
/// quality only through lost context (docs/streaming.md), a shorter chunk costs decode time (one latent of look-ahead
/// per chunk) and leaves encoded ids unchanged. An explicit tile or chunk is kept as given. A plan fills at most
/// <see cref="MemoryCost.Headroom"/> of the budget, the cost model's measured error.
/// </summary>
internal static class MemoryPlanner
{
    /// <summary>Smallest tile side tried, in latent pixels (8 latents: below that a tile is mostly its own border).</summary>
    internal const int MinTileLatents = 8;

    /// <summary>What the planner needs to know about the run.</summary>
    /// <param name="Pass">Which pass the process runs.</param>
    /// <param name="Footprint">The model's memory footprint.</param>
    /// <param name="Card">The model's card (spatial factor and multiple, temporal factor).</param>
    /// <param name="Tileable">Whether the model can be tiled.</param>
    /// <param name="Streams">Whether long videos go through the model in temporal chunks (else one pass of <paramref name="WholeFrames"/>).</param>
    /// <param name="Frame">Frame size in pixels.</param>
    /// <param name="WholeFrames">The clip's frame count (as far as known): one pass when the model does not chunk, and the
    /// upper bound of a chunk's frames when it does.</param>
    /// <param name="DefaultChunk">The chunk to keep when it fits (16).</param>
    internal sealed record Request(MemoryPass Pass, ModelFootprint Footprint, ModelCard Card, bool Tileable, bool Streams,
        (int Height, int Width) Frame, int WholeFrames, int DefaultChunk = 16);

    /// <summary>
    /// The plan for <paramref name="budget"/> bytes, or (null, the smallest plan) when none fits. <paramref name="tile"/> and
    /// <paramref name="chunk"/> fix the tile (pixels and overlap) or the chunk when the user gave them.
    /// </summary>
    public static (MemoryPlan? Plan, MemoryPlan Smallest) Plan(long budget, Request request, TileSize? tile = null, int? chunk = null)
    {
        MemoryPlan? smallest = null;
        foreach (var c in Chunks(request, chunk))
        {
            foreach (var t in Tiles(request, tile))
            {
                var plan = Evaluate(request, t, c);
                if (plan.PredictedBytes <= budget * MemoryCost.Headroom) return (plan, Smallest(request, tile, chunk));
                if (smallest is null || plan.PredictedBytes < smallest.PredictedBytes) smallest = plan;
            }
        }
        return (null, smallest!);
    }

    private static MemoryPlan Smallest(Request request, TileSize? tile, int? chunk) =>
        Chunks(request, chunk).SelectMany(c => Tiles(request, tile).Select(t => Evaluate(request, t, c)))
            .MinBy(p => p.PredictedBytes)!;

    /// <summary>The plan's peak for one tile and chunk.</summary>
    public static MemoryPlan Evaluate(Request request, TileSize? tile, int chunk)
    {
        var (h, w) = request.Frame;
        var tdf = request.Card.Compression.Time;
        // A chunk plus the causal front padding (encode) or one latent of look-ahead (decode); a clip no longer than
        // one chunk goes through in one pass of its own length, padded in front the same way.
        var passFrames = request.Streams && chunk > 0
            ? Math.Min(chunk, Math.Max(1, request.WholeFrames - 1)) + tdf
            : request.WholeFrames + tdf - 1;
        var tileHw = tile is { } t ? (Math.Min(t.Height, h), Math.Min(t.Width, w)) : (h, w);
        var count = tile is { } u
            ? SpatialTiles.Starts(h, u.Height, u.Overlap).Count * SpatialTiles.Starts(w, u.Width, u.Overlap).Count
            : 1;
        var bytes = MemoryCost.Predict(request.Pass, request.Footprint, request.Frame, tileHw, passFrames);
        return new MemoryPlan(tile, request.Streams ? chunk : 0, count, bytes);
    }

    // The default chunk first, then shorter multiples of the temporal factor; non-streaming models have no chunk to choose.
    private static IEnumerable<int> Chunks(Request request, int? chunk)
    {
        if (chunk is { } fixedChunk || !request.Streams)
        {
            yield return chunk ?? request.DefaultChunk;
            yield break;
        }
        var tdf = request.Card.Compression.Time;
        for (var c = request.DefaultChunk / tdf * tdf; c >= tdf; c -= tdf) yield return c;
    }

    // Whole frames first, then square tiles (clipped to the frame) from the frame's long side down, in steps of the
    // tile multiple; the overlap is a quarter of the tile's short side in whole latent pixels.
    private static IEnumerable<TileSize?> Tiles(Request request, TileSize? tile)
    {
        if (tile is not null)
        {
            yield return tile;
            yield break;
        }
        yield return null;
        if (!request.Tileable) yield break;
        var factor = request.Card.Compression.Height;
        var multiple = Math.Max(request.Card.SpatialMultiple, factor);
        var (h, w) = request.Frame;
        var min = Math.Max(multiple, MinTileLatents * factor);
        for (var side = Math.Max(h, w) / multiple * multiple; side >= min; side -= multiple)
        {
            int th = Math.Min(side, h) / multiple * multiple, tw = Math.Min(side, w) / multiple * multiple;
            if (th == h && tw == w) continue; // one tile: the whole frame, already tried
            if (th <= 0 || tw <= 0) continue;
            var overlap = Math.Max(factor, Math.Min(th, tw) / 4 / factor * factor);
            if (overlap >= Math.Min(th, tw)) continue;
            yield return new TileSize(tw, th, overlap);
        }
    }
}

/// <summary>Byte counts as the planner reads and prints them: 4G, 1500M, 512K or plain bytes; powers of 1024.</summary>
internal static class MemorySize
{
    /// <summary>The bytes <paramref name="text"/> names, or null when it is not a size.</summary>
    public static long? Parse(string text)
    {
        var s = text.Trim().ToUpperInvariant();
        if (s.EndsWith("IB", StringComparison.Ordinal)) s = s[..^2];
        else if (s.EndsWith('B')) s = s[..^1];
        var unit = s.Length > 0 ? s[^1] switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 1L } : 1L;
        if (unit != 1) s = s[..^1];
        if (!double.TryParse(s, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var n)
            || !(n > 0) || n * unit > long.MaxValue / 2)
            return null;
        return (long)(n * unit);
    }

    /// <summary>e.g. "3.10 GiB", "512 MiB".</summary>
    public static string Show(long bytes) => bytes >= 1L << 30
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.00} GiB")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0} MiB");
}
