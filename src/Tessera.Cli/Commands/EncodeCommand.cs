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
        command.SetAction(r => ctx.Run(r.GetValue(video.Quiet), () => Run(ctx, r.GetValue(video.Input)!, BundledModel.Resolve(r.GetValue(video.Model)), r.GetValue(video.Weights),
            r.GetValue(output)!, video.Read(r), video.Tokenizer(ctx, r), r.GetValue(video.Ema), r.GetValue(recordPaths))));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string input, string model, string? weights, string output,
        ReadOptions read, TokenizerOptions options, bool ema, bool recordPaths = false)
    {
        Paths.CheckOutput(output, ".safetensors");
        OutputGuard.Prepare(output, input, model, weights);
        VideoInputs.RequireInput(input);
        var tensorInput = TensorInput.IsTensorFile(input);
        if (!tensorInput) VideoInputs.AnnounceSize(read, ctx);
        using var tokenizer = LoadTokenizer(ctx, model, weights, options, ema);
        if (tensorInput) return EncodeTensor(ctx, tokenizer, input, model, weights, output, recordPaths);
        read = VideoInputs.ForModel(read, tokenizer.Card, ctx);
        ctx.Progress($"reading {input}");
        using var clip = VideoReader.Read(input, read);
        var watch = Stopwatch.StartNew();
        ctx.Progress($"encoding {clip.FrameCount} frames of {Sizes.Show(clip.Height, clip.Width)}{(tokenizer.UsesChunking(clip.FrameCount) ? $" in chunks of {options.TemporalChunk}" : "")}");
        using var code = EncodeClip(tokenizer, clip);
        CliCancellation.ThrowIfCancelled();
        TokenFile.Save(output, code, RecordedIdentity.Describe(clip, input, model, weights, recordPaths));
        ctx.Out.WriteLine($"{Describe(code)} -> {output} ({watch.Elapsed.TotalSeconds:F1} s)");
        return ExitCode.Ok;
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

    internal static VideoCode EncodeClip(VideoTokenizer tokenizer, VideoClip clip)
    {
        using var input = clip.ToModelInput();
        using var x = tokenizer.Card.Range.FromSigned(input);
        return tokenizer.Encode(x);
    }

    // A tensor file is already model input: float32 [3, T, H, W] or [B, 3, T, H, W] in the card's range.
    private static ExitCode EncodeTensor(CliContext ctx, VideoTokenizer tokenizer, string input, string model, string? weights, string output, bool recordPaths)
    {
        ctx.Progress($"reading {input}");
        using var x = TensorInput.Load(input, tokenizer.Card, ctx.Progress);
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
