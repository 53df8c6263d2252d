using Tessera.Video;

namespace Tessera.Cli;

/// <summary>
/// Missing inputs named before any model loads, with the way to get them where Tessera knows it: the natural clips of
/// data/clips.csv are not in the repository and come from scripts/fetch-clips.sh.
/// </summary>
internal static class VideoInputs
{
    public static void RequireInput(string input)
    {
        if (!Path.Exists(input)) throw new InvalidInputException($"input '{input}' does not exist{FetchHint(input)}");
    }

    /// <summary>A manifest none of whose videos exists is an error, not a run over nothing.</summary>
    public static void RequireSome(string source, string? split)
    {
        var videos = VideoList.Load(source, split);
        if (videos.Count > 0 && !videos.Any(v => Path.Exists(v.Path)))
            throw new InvalidInputException($"none of the {videos.Count} videos '{source}' lists exists (first: '{videos[0].Path}'){FetchHint(videos[0].Path)}");
    }

    /// <summary>
    /// Says how frames will be sized: a given --size at once (before the model loads), else after loading, where a
    /// model whose learned tables fix the frame size (ModelCard.InputSize) reads frames at that size.
    /// </summary>
    public static void AnnounceSize(ReadOptions read, CliContext ctx)
    {
        if (read.Size is not null) ctx.Progress(CommonOptions.DescribeSize(read.Size, read.ResizeMode == ResizeMode.Exact));
    }

    /// <summary>The read options for a loaded model (see <see cref="AnnounceSize"/>).</summary>
    public static ReadOptions ForModel(ReadOptions read, Models.ModelCard card, CliContext ctx)
    {
        if (read.Size is not null) return read;
        if (card.InputSize is not { } size)
        {
            ctx.Progress(CommonOptions.DescribeSize(null, exact: false));
            return read;
        }
        ctx.Progress(CommonOptions.DescribeSize(size, exact: false) + $" (model '{card.Name}' takes only that size)");
        return read with { Size = size };
    }

    private static string FetchHint(string path) =>
        Path.GetFullPath(path).Replace('\\', '/').Contains("/data/clips/", StringComparison.Ordinal)
            ? "; fetch data/clips.csv's clips first with scripts/fetch-clips.sh (README, \"Training and fine-tuning\")"
            : "";
}
