using System.CommandLine;
using System.Diagnostics;
using Tessera.Inference;
using Tessera.Tokens;
using Tessera.Video;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera encode</c>: video → token file.</summary>
internal static class EncodeCommand
{
    public static Command Create(CliContext ctx)
    {
        var video = new VideoCommandOptions();
        var output = new Option<string>("--output", "-o") { Description = "Token file to write (.safetensors)", Required = true };
        var recordPaths = new Option<bool>("--record-paths")
        {
            Description = "Also record the input's and model's full local paths in the token file (default: names, sizes and SHA-256 only)",
        };
        var command = new Command("encode", "Turn a video into token ids (FSQ models) or latents (KL models)") { output, recordPaths };
        video.AddTo(command);
        video.Input.Description += ", or a .npy tensor: float32 [3,T,H,W] or [B,3,T,H,W] in the model's input range ('tessera info' shows it)";
        command.SetAction(r => ctx.Run(r.GetValue(video.Quiet), () => Run(ctx, r.GetValue(video.Input)!, BundledModels.Resolve(r.GetValue(video.Model)), r.GetValue(video.Weights),
            r.GetValue(output)!, video.Read(r), video.Tokenizer(ctx, r), r.GetValue(video.Ema), r.GetValue(recordPaths), video.MaxMemory(r))));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string input, string model, string? weights, string output,
        ReadOptions read, TokenizerOptions options, bool ema, bool recordPaths = false, MemoryBudget.Request? budget = null)
    {
        Paths.CheckOutput(output, ".safetensors");
        OutputGuard.Prepare(output, input, model, weights);
        VideoInputs.RequireInput(input);
        var tensorInput = TensorInput.IsTensorFile(input);
        if (!tensorInput) VideoInputs.AnnounceSize(read, ctx);
        using var loaded = LoadTokenizer(ctx, model, weights, options, ema);
        if (tensorInput) return EncodeTensor(ctx, loaded, input, model, weights, output, recordPaths, budget);
        read = VideoInputs.ForModel(read, loaded.Card, ctx);
        using var planned = budget is null ? null : Plan(ctx, loaded, budget, MemoryPass.Encode, input, read);
        var tokenizer = planned ?? loaded;
        ctx.Progress($"reading {input}");
        if (Streams(tokenizer))
        {
            using var pieces = FramePieces.Open(input, read, tokenizer);
            return pieces.WholeClip is { } shortClip
                ? EncodeWhole(ctx, tokenizer, shortClip, input, model, weights, output, recordPaths)
                : EncodeStreamed(ctx, tokenizer, pieces, pieces.ExpectedFrames(read), input, model, weights, output, recordPaths);
        }
        using var clip = VideoReader.Read(input, read);
        return EncodeWhole(ctx, tokenizer, clip, input, model, weights, output, recordPaths);
    }

    /// <summary>
    /// Whether videos go through the model as they are read: the card says the model streams (its codes made chunk by
    /// chunk equal one call's), and --strict-frames does not ask for the whole-clip frame-count check.
    /// </summary>
    internal static bool Streams(VideoTokenizer tokenizer) =>
        tokenizer.Card.Streams && tokenizer.Options.TemporalChunk > 0 && tokenizer.Options.Frames != FramePolicy.Refuse;

    private static ExitCode EncodeWhole(CliContext ctx, VideoTokenizer tokenizer, VideoClip clip, string input, string model, string? weights, string output, bool recordPaths)
    {
        var options = tokenizer.Options;
        var watch = Stopwatch.StartNew();
        ctx.Progress($"encoding {clip.FrameCount} frames of {Sizes.Show(clip.Height, clip.Width)}{(tokenizer.UsesChunking(clip.FrameCount) ? $" in chunks of {options.TemporalChunk}" : "")}");
        using var code = EncodeClip(tokenizer, clip);
        CliCancellation.ThrowIfCancelled();
        TokenFile.Save(output, code, RecordedIdentity.Describe(clip, input, model, weights, recordPaths));
        ctx.Out.WriteLine($"{Describe(code)} -> {output} ({watch.Elapsed.TotalSeconds:F1} s)");
        return ExitCode.Ok;
    }

    // Frames flow from FFmpeg into an encode session a chunk at a time, and each chunk's code into the token file's parts.
    private static ExitCode EncodeStreamed(CliContext ctx, VideoTokenizer tokenizer, FramePieces pieces, int expectedFrames, string input, string model, string? weights, string output, bool recordPaths)
    {
        var frames = pieces.Stream;
        var chunk = tokenizer.Options.TemporalChunk;
        var watch = Stopwatch.StartNew();
        ctx.Progress($"encoding frames of {Sizes.Show(frames.Height, frames.Width)} as they are read, in chunks of {chunk}");
        using var session = tokenizer.StartEncode(expectedFrames);
        using var writer = new TokenFileWriter(output, tokenizer.Config, RecordedIdentity.Describe(frames, input, model, weights, recordPaths));
        void Drain()
        {
            if (session.Pull() is not { } code) return;
            using (code) writer.Append(code);
        }
        while (pieces.Next(chunk) is { } piece)
        {
            using (piece) session.PushFrames(piece);
            Drain();
            FreedMemory.Release();
            CliCancellation.ThrowIfCancelled();
        }
        session.Complete();
        Drain();
        writer.Complete();
        var (written, _) = TokenFile.Load(output, tokenizer.Config);
        using (written) ctx.Out.WriteLine($"{Describe(written)} -> {output} ({watch.Elapsed.TotalSeconds:F1} s)");
        return ExitCode.Ok;
    }

    /// <summary>The tokenizer for <paramref name="budget"/>'s plan on <paramref name="input"/>'s frames (see <see cref="MemoryBudget"/>).</summary>
    internal static VideoTokenizer? Plan(CliContext ctx, VideoTokenizer loaded, MemoryBudget.Request budget, MemoryPass pass, string input, ReadOptions read)
    {
        var (frame, frames) = MemoryBudget.Probe(input, read);
        return MemoryBudget.Apply(ctx, loaded, budget, pass, frame, frames);
    }

    internal static VideoTokenizer LoadTokenizer(CliContext ctx, string model, string? weights, TokenizerOptions options, bool ema)
    {
        (model, weights, ema) = ModelArgument.Resolve(ctx, model, weights, ema);
        MissingModel.ThrowIfMissing(model);
        ctx.Progress($"loading model {model}{(weights is null ? "" : $" with weights {weights}")}");
        // The thread count is process-wide state: the command (the process's owner) sets it, the library never does.
        if (options.Threads > 0) TorchSharp.torch.set_num_threads(options.Threads);
        return VideoTokenizer.Load(model, weights, options, ema);
    }

    // The frames stay 8-bit until the encoder converts each tile (VideoTokenizer.EncodeFrames): the same code as
    // encoding the clip's float input, without a float copy of the whole clip.
    internal static VideoCode EncodeClip(VideoTokenizer tokenizer, VideoClip clip) => tokenizer.EncodeFrames(clip.Frames);

    // A tensor file is already model input: float32 [3, T, H, W] or [B, 3, T, H, W] in the card's range.
    private static ExitCode EncodeTensor(CliContext ctx, VideoTokenizer loaded, string input, string model, string? weights, string output, bool recordPaths,
        MemoryBudget.Request? budget)
    {
        ctx.Progress($"reading {input}");
        using var x = TensorInput.Load(input, loaded.Card, ctx.Progress);
        using var planned = MemoryBudget.Apply(ctx, loaded, budget, MemoryPass.Encode, ((int)x.shape[3], (int)x.shape[4]), (int)x.shape[2]);
        var tokenizer = planned ?? loaded;
        var watch = Stopwatch.StartNew();
        ctx.Progress($"encoding {x.shape[0]} clip(s) of {x.shape[2]} frames of {x.shape[3]}x{x.shape[4]}");
        using var code = tokenizer.Encode(x);
        CliCancellation.ThrowIfCancelled();
        TokenFile.Save(output, code, RecordedIdentity.Describe(input, ((int)x.shape[3], (int)x.shape[4]), model, weights, recordPaths));
        ctx.Out.WriteLine($"{Describe(code)} -> {output} ({watch.Elapsed.TotalSeconds:F1} s)");
        return ExitCode.Ok;
    }

    internal static string Describe(VideoCode code) => code switch
    {
        TokenIds ids => $"{code.Frames} frames -> {ids.Count:N0} tokens: " +
                        string.Join(", ", ids.TokenGroups.Select(g => $"{g.Name} [{Shape(ids[g.Name])}] from a {g.CodebookSize:N0}-entry codebook")),
        Latents l => $"{code.Frames} frames -> latents [{Shape(l.Values)}]",
        _ => code.ToString()!,
    };

    // Per-clip shape, with the batch in front only when there is more than one clip.
    private static string Shape(TorchSharp.torch.Tensor t) =>
        string.Join("x", t.shape[0] == 1 ? t.shape.Skip(1) : t.shape);
}
