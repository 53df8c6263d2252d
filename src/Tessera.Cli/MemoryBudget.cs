using System.CommandLine;
using Tessera.Inference;
using Tessera.Video;

namespace Tessera.Cli;

/// <summary>
/// <c>--max-memory</c>: the tile and temporal chunk are planned from a memory budget (<see cref="MemoryPlanner"/>) once the
/// frame size is known, the plan is printed before any work, and a budget below the smallest plan is refused. An explicit
/// <c>--tile</c> or <c>--chunk</c> is kept and only the rest is planned.
/// </summary>
internal sealed class MemoryBudget
{
    public Option<string> MaxMemory { get; } = new("--max-memory")
    {
        Description = "Peak memory to plan for, e.g. 4G or 1500M (powers of 1024): picks the largest tile and temporal chunk " +
                      "that fit (an explicit --tile or --chunk is kept), prints the plan, and refuses a budget below the smallest plan",
    };

    /// <summary>The budget as the command line gave it, or null without --max-memory.</summary>
    public Request? Read(ParseResult r, Option tile, Option chunk)
    {
        if (r.GetValue(MaxMemory) is not { } text) return null;
        var bytes = MemorySize.Parse(text) ?? throw new UsageException($"--max-memory must be a size such as 4G, 1500M or 800000000 (bytes), got '{text}'");
        return new Request(bytes, Given(r, tile), Given(r, chunk));
    }

    /// <summary>A budget of <paramref name="Bytes"/>; <paramref name="TileGiven"/> and <paramref name="ChunkGiven"/> keep what the user set.</summary>
    internal sealed record Request(long Bytes, bool TileGiven, bool ChunkGiven);

    /// <summary>
    /// A tokenizer over <paramref name="loaded"/>'s model with the plan's tile and chunk (the caller disposes it before
    /// <paramref name="loaded"/>), or null without a budget.
    /// </summary>
    public static VideoTokenizer? Apply(CliContext ctx, VideoTokenizer loaded, Request? budget, MemoryPass pass, (int Height, int Width) frame,
        int wholeFrames)
    {
        if (budget is not var (bytes, tileGiven, chunkGiven)) return null;
        var footprint = loaded.Footprint
            ?? throw new UsageException($"--max-memory needs a model whose memory Tessera can predict; '{loaded.Card.Name}' ({loaded.Card.Family}) does not say what its passes need");
        var options = loaded.Options;
        // Frames the model cannot take as they are run padded up to its multiple (SizePolicy.PadEdges): plan for that size.
        var m = loaded.Card.SpatialMultiple;
        if (options.Sizes == SizePolicy.PadEdges) frame = (SpatialPadding.Padded(frame.Height, m), SpatialPadding.Padded(frame.Width, m));
        var streams = loaded.Card.Streams && options.Frames != FramePolicy.Refuse && (!chunkGiven || options.TemporalChunk > 0);
        var request = new MemoryPlanner.Request(pass, footprint, loaded.Card, loaded.Card.InputSize is null && loaded.Model is ICausalAutoencoder,
            streams, frame, Math.Max(1, wholeFrames), options.TemporalChunk > 0 ? options.TemporalChunk : 16);
        var (plan, smallest) = MemoryPlanner.Plan(bytes, request, tileGiven ? options.Tile : null, chunkGiven ? options.TemporalChunk : null);
        if (plan is null)
            throw new UsageException($"--max-memory {MemorySize.Show(bytes)} is below the smallest plan for {Sizes.Show(frame)} frames with model " +
                                     $"'{loaded.Card.Name}': {smallest.Tile?.ToString() ?? "whole frames"}, {(smallest.TemporalChunk > 0 ? $"chunks of {smallest.TemporalChunk} frames" : $"{request.WholeFrames} frames at once")} need about {MemorySize.Show(smallest.PredictedBytes)}");
        ctx.Progress($"memory plan for {MemorySize.Show(bytes)} ({Sizes.Show(frame)} frames): {plan}");
        return loaded.WithOptions(options with { Tile = plan.Tile, TemporalChunk = plan.TemporalChunk > 0 ? plan.TemporalChunk : options.TemporalChunk });
    }

    /// <summary>The frame size and likely frame count of a video input, read ahead of the plan (the stream is closed again).</summary>
    public static ((int Height, int Width) Frame, int Frames) Probe(string input, ReadOptions read)
    {
        using var stream = VideoFrameStream.Open(input, read);
        var frames = FramePieces.ExpectedFrames(stream, read);
        return ((stream.Height, stream.Width), frames > 0 ? frames : 17);
    }

    /// <summary>Whether the user typed <paramref name="option"/> (rather than it taking its default).</summary>
    private static bool Given(ParseResult r, Option option) => r.GetResult(option) is { Implicit: false };
}
