using System.CommandLine;
using System.Diagnostics;
using Tessera.Checkpoints;
using Tessera.Inference;
using Tessera.Models;
using Tessera.Tokens;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera decode</c>: token file → video.</summary>
internal static class DecodeCommand
{
    public static Command Create(CliContext ctx)
    {
        var input = new Argument<string>("tokens") { Description = "Token file written by 'tessera encode'" };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Video (.mp4 H.264, .mkv lossless FFV1), frame directory (ending in /), or .safetensors (tensor 'video', float32 [3,T,H,W] ([B,3,T,H,W] for a batch) in the model's range, e.g. [-1,1] VidTok, [-0.5,0.5] SweetTok)",
            Required = true,
        };
        var model = CommonOptions.Model(required: false);
        model.Description = "Model to decode with (default: the one recorded in the token file)";
        var weights = CommonOptions.Weights();
        var fps = new Option<double?>("--fps") { Description = "Frame rate of the written video (default: the token file's)" };
        var ema = CommonOptions.Ema();
        var chunk = CommonOptions.Chunk();
        var tile = CommonOptions.Tile();
        var tileOverlap = CommonOptions.TileOverlap();
        var dtype = CommonOptions.DType();
        var threads = CommonOptions.Threads();
        var quiet = CommonOptions.Quiet();
        var budget = new MemoryBudget();
        var command = new Command("decode", "Turn a token file back into a video") { input, output, model, weights, fps, ema, chunk, tile, tileOverlap, budget.MaxMemory, dtype, threads, quiet };
        command.SetAction(r => ctx.Run(r.GetValue(quiet), () => Run(ctx, r.GetValue(input)!, r.GetValue(output)!, r.GetValue(model), r.GetValue(weights),
            r.GetValue(fps), CommonOptions.Tokenizer(ctx, r.GetValue(chunk), false, r.GetValue(threads))
                with { Tile = CommonOptions.ParseTile(r.GetValue(tile), r.GetValue(tileOverlap)), Precision = CommonOptions.ParseDType(r.GetValue(dtype)) }, r.GetValue(ema), budget.Read(r, tile, chunk))));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string tokens, string output, string? model, string? weights, double? fps,
        TokenizerOptions options, bool ema, MemoryBudget.Request? budget = null)
    {
        VideoOutput.Check(output);
        if (fps is <= 0) throw new UsageException($"--fps must be positive, got {fps}");
        if (!File.Exists(tokens)) throw new TokenFileFormatException($"token file '{tokens}' does not exist");
        var info = TokenFile.ReadInfo(tokens);

        var modelArg = (model is null ? null : BundledModels.ResolveName(model)) ?? MetadataPaths.Resolve(tokens, "model", info.ModelSource, info.ModelSha256)
            ?? throw new TokenFileFormatException($"token file '{tokens}' does not record its model; pass --model (and --weights)");
        var weightsArg = weights ?? (model is null ? MetadataPaths.Resolve(tokens, "weights", info.WeightsSource, info.WeightsSha256) : null);
        // A model the user names wins (a stage-2 decoder decodes the same codes), but a different file is worth a word.
        if (model is not null && weights is null && MetadataPaths.Mismatch(tokens, "model", info.ModelSource, info.ModelSha256, modelArg) is { } differs)
            ctx.Error.WriteLine($"warning: {differs}");
        OutputGuard.Prepare(output, tokens, modelArg, weightsArg);
        using var loaded = EncodeCommand.LoadTokenizer(ctx, modelArg, weightsArg, options, ema);
        var (code, _) = TokenFile.Load(tokens, loaded.Config);
        using (code)
        {
            var factor = loaded.Card.Compression;
            // A code without a [T', H', W'] grid (several token groups) has no grid to plan from; only a budget needs one.
            using var planned = budget is null ? null : MemoryBudget.Apply(ctx, loaded, budget, MemoryPass.Decode,
                ((int)(code.GridSize.Height * factor.Height), (int)(code.GridSize.Width * factor.Width)), code.Frames);
            var tokenizer = planned ?? loaded;
            if (StreamsTo(output, tokenizer, code))
                return DecodeStreamed(ctx, tokenizer, code, output, fps ?? info.Fps ?? 30);
            var watch = Stopwatch.StartNew();
            ctx.Progress($"decoding {EncodeCommand.Describe(code)}");
            using var video = tokenizer.Decode(code);
            CliCancellation.ThrowIfCancelled();
            VideoOutput.Write(output, video, fps ?? info.Fps ?? 30, tokenizer.Card.Range);
            ctx.Out.WriteLine($"{code.Frames} frames of {Sizes.Show(video.shape[3], video.shape[4])} -> {output} ({watch.Elapsed.TotalSeconds:F1} s)");
        }
        return ExitCode.Ok;
    }

    /// <summary>
    /// Whether the frames go to the output as they are decoded: a streaming model, a code long enough for the chunked
    /// path (a shorter one decodes in one whole-clip pass, as before), one video, and an output written frame by frame
    /// (a .safetensors tensor is written whole).
    /// </summary>
    internal static bool StreamsTo(string? output, VideoTokenizer tokenizer, VideoCode code) =>
        tokenizer.Card.Streams && tokenizer.Options.TemporalChunk > 0 && tokenizer.UsesChunking(code.Frames) && CodePieces.CanSplit(code)
        && (output is null || !output.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase));

    // The code goes into a decode session a chunk of latents at a time; the frames it gives go straight to FFmpeg.
    private static ExitCode DecodeStreamed(CliContext ctx, VideoTokenizer tokenizer, VideoCode code, string output, double fps)
    {
        var watch = Stopwatch.StartNew();
        var chunk = tokenizer.Options.TemporalChunk;
        ctx.Progress($"decoding {EncodeCommand.Describe(code)} in chunks of {chunk} frames, writing each as it comes");
        using var session = tokenizer.StartDecode((int)code.GridSize.Time);
        VideoFrameSink? sink = null;
        try
        {
            void Drain()
            {
                if (session.Pull() is not { } video) return;
                using (video)
                {
                    sink ??= VideoFrameSink.Open(output, (int)video.shape[3], (int)video.shape[4], fps);
                    VideoOutput.WriteFrames(sink, video, tokenizer.Card.Range);
                }
            }
            foreach (var piece in CodePieces.Split(code, chunk / tokenizer.Card.Compression.Time))
            {
                using (piece) session.Push(piece);
                Drain();
                FreedMemory.Release();
                CliCancellation.ThrowIfCancelled();
            }
            session.Complete();
            Drain();
            sink!.Complete();
            ctx.Out.WriteLine($"{code.Frames} frames of {Sizes.Show(sink.Height, sink.Width)} -> {output} ({watch.Elapsed.TotalSeconds:F1} s)");
        }
        finally
        {
            sink?.Dispose();
        }
        return ExitCode.Ok;
    }
}

/// <summary>
/// Writes a decoded video [B, 3, T, H, W] in the model's <see cref="ValueRange"/> wherever the output path says: a
/// tensor file keeps the decoder's values as they are (the batch axis only when B &gt; 1), video and image files take
/// one clip, mapped to [-1, 1] and clamped before quantising to 8 bits.
/// </summary>
internal static class VideoOutput
{
    private static readonly string[] VideoExtensions = [".mp4", ".mov", ".mkv", ".avi", ".png", ".safetensors"];

    public static void Check(string output)
    {
        var isDir = output.EndsWith('/') || Directory.Exists(output);
        // Refused rather than taken as a folder: a mistyped file name would otherwise quietly become a directory of PNGs.
        if (!isDir && Path.GetExtension(output) == "")
            throw new UsageException($"output '{output}' has no extension: for PNG frames give a folder ending in '/' ('{output}/'), for a video end it with .mp4 or .mkv");
        if (!isDir) Paths.CheckOutput(output, VideoExtensions);
    }

    public static void Write(string output, Tensor video, double fps, ValueRange range)
    {
        if (output.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            using var single = (video.shape[0] == 1 ? video[0] : video).contiguous();
            SafeTensorsFile.Save(output, [("video", single)], new Dictionary<string, string>
            {
                ["format"] = "tessera.video/1",
                ["layout"] = $"{(video.shape[0] == 1 ? "[3, T, H, W]" : "[B, 3, T, H, W]")} float32, the decoder output unclamped (nominal range {range})",
                ["range"] = $"{range.Min.ToString("R", System.Globalization.CultureInfo.InvariantCulture)},{range.Max.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}",
                ["fps"] = fps.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            });
            return;
        }
        if (video.shape[0] != 1)
            throw new InvalidInputException($"a video file holds one clip; this code decodes to a batch of {video.shape[0]} (write a .safetensors instead)");
        if (output.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            using var signed = range.ToSigned(video);
            using var clip = VideoClip.FromModelOutput(signed, fps);
            VideoWriter.Write(output, clip);   // refuses more than one frame
            return;
        }
        // Frame by frame, as VideoWriter.Write feeds the same sink: the 8-bit conversion's float temporaries are one frame's.
        using var sink = VideoFrameSink.Open(output, (int)video.shape[3], (int)video.shape[4], fps);
        for (var t = 0; t < video.shape[2]; t++)
        {
            using var frame = video[.., .., t..(t + 1)];
            WriteFrames(sink, frame, range);
        }
        sink.Complete();
    }

    /// <summary>Appends decoded frames [1, 3, n, H, W] in the model's range to a video being written, quantised as <see cref="Write"/> does.</summary>
    public static void WriteFrames(VideoFrameSink sink, Tensor video, ValueRange range)
    {
        using var signed = range.ToSigned(video);
        using var clip = VideoClip.FromModelOutput(signed, 1);
        sink.Write(clip.Frames);
    }
}
