using System.CommandLine;
using Tessera.Inference;
using Tessera.Video;

namespace Tessera.Cli;

/// <summary>The options of commands that read a video and run a model on it (encode, reconstruct).</summary>
internal sealed class VideoCommandOptions
{
    public Argument<string> Input { get; } = new("input") { Description = "Video file, directory of frames, or image" };
    public Option<string> Model { get; } = BundledDefault(CommonOptions.Model(required: false));
    public Option<string> Weights { get; } = CommonOptions.Weights();
    public Option<double?> Fps { get; } = CommonOptions.Fps();
    public Option<string> Size { get; } = CommonOptions.Size();
    public Option<bool> ExactResize { get; } = CommonOptions.ExactResize();
    public Option<int?> Frames { get; } = CommonOptions.Frames();
    public Option<double> Start { get; } = CommonOptions.Start();
    public Option<bool> Ema { get; } = CommonOptions.Ema();
    public Option<int> Chunk { get; } = CommonOptions.Chunk();
    public Option<string> Tile { get; } = CommonOptions.Tile();
    public Option<int?> TileOverlap { get; } = CommonOptions.TileOverlap();
    public Option<string> DType { get; } = CommonOptions.DType();
    public Option<bool> StrictFrames { get; } = CommonOptions.StrictFrames();
    public Option<int> Threads { get; } = CommonOptions.Threads();
    public Option<bool> Quiet { get; } = CommonOptions.Quiet();
    public MemoryBudget Budget { get; } = new();

    private static Option<string> BundledDefault(Option<string> option)
    {
        option.Description += " (default: Tessera's bundled default model; 'tessera info' lists the bundled models)";
        return option;
    }

    public void AddTo(Command command)
    {
        command.Arguments.Add(Input);
        foreach (var option in new Option[] { Model, Weights, Fps, Size, ExactResize, Frames, Start, Ema, Chunk, Tile, TileOverlap, Budget.MaxMemory, DType, StrictFrames, Threads, Quiet })
            command.Options.Add(option);
    }

    public ReadOptions Read(ParseResult r) =>
        CommonOptions.Read(r.GetValue(Fps), r.GetValue(Size), r.GetValue(ExactResize), r.GetValue(Frames), r.GetValue(Start));

    public MemoryBudget.Request? MaxMemory(ParseResult r) => Budget.Read(r, Tile, Chunk);

    public TokenizerOptions Tokenizer(CliContext ctx, ParseResult r) =>
        CommonOptions.Tokenizer(ctx, r.GetValue(Chunk), r.GetValue(StrictFrames), r.GetValue(Threads))
            with { Tile = CommonOptions.ParseTile(r.GetValue(Tile), r.GetValue(TileOverlap)), Precision = CommonOptions.ParseDType(r.GetValue(DType)) };
}
