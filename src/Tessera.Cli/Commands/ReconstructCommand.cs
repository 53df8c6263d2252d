using System.CommandLine;
using System.Diagnostics;
using Tessera.Inference;
using Tessera.Models;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera reconstruct</c>: video → tokens → video, with quality and rate figures.</summary>
internal static class ReconstructCommand
{
    public static Command Create(CliContext ctx)
    {
        var video = new VideoCommandOptions();
        var output = new Option<string>("--output", "-o") { Description = "Where to write the reconstruction (video, frame directory/ or .safetensors)" };
        var command = new Command("reconstruct", "Encode and decode a video; print PSNR, SSIM, token count, bits per pixel and time") { output };
        video.AddTo(command);
        command.SetAction(r => ctx.Run(r.GetValue(video.Quiet), () => Run(ctx, r.GetValue(video.Input)!, BundledModels.Resolve(r.GetValue(video.Model)), r.GetValue(video.Weights),
            r.GetValue(output), video.Read(r), video.Tokenizer(ctx, r), r.GetValue(video.Ema), video.MaxMemory(r))));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string input, string model, string? weights, string? output,
        ReadOptions read, TokenizerOptions options, bool ema, MemoryBudget.Request? budget = null)
    {
        if (output is not null)
        {
            VideoOutput.Check(output);
            OutputGuard.Prepare(output, input, model, weights);
        }
        VideoInputs.RequireInput(input);
        VideoInputs.AnnounceSize(read, ctx);
        using var loaded = EncodeCommand.LoadTokenizer(ctx, model, weights, options, ema);
        read = VideoInputs.ForModel(read, loaded.Card, ctx);
        using var planned = budget is null ? null : EncodeCommand.Plan(ctx, loaded, budget, MemoryPass.Reconstruct, input, read);
        var tokenizer = planned ?? loaded;
        ctx.Progress($"reading {input}");
        if (EncodeCommand.Streams(tokenizer) && (output is null || !output.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)))
        {
            using var pieces = FramePieces.Open(input, read, tokenizer);
            return pieces.WholeClip is { } shortClip
                ? ReconstructWhole(ctx, tokenizer, shortClip, input, output)
                : ReconstructStreamed(ctx, tokenizer, pieces, pieces.ExpectedFrames(read), output);
        }
        using var clip = VideoReader.Read(input, read);
        return ReconstructWhole(ctx, tokenizer, clip, input, output);
    }

    private static ExitCode ReconstructWhole(CliContext ctx, VideoTokenizer tokenizer, VideoClip clip, string input, string? output)
    {
        var watch = Stopwatch.StartNew();
        ctx.Progress($"encoding {clip.FrameCount} frames of {Sizes.Show(clip.Height, clip.Width)}");
        // A model of a fixed clip length (SweetTok: 17 frames) takes a longer video clip by clip, the last one padded
        // and trimmed back; any other model takes the video in one call. The frames stay 8-bit until the encoder
        // converts each tile (VideoTokenizer.EncodeFrames).
        var windows = FixedClips.Windows(clip.FrameCount, tokenizer.Card.Frames);
        if (windows.Count > 1) ctx.Progress($"in {windows.Count} clips of {tokenizer.Card.Frames.First} frames (the model's clip length)");
        var tally = new CodeTally();
        var parts = new List<Tensor>();
        double encodeSeconds = 0;
        Tensor decoded;
        try
        {
            foreach (var (start, length) in windows)
            {
                var began = watch.Elapsed.TotalSeconds;
                using var piece = clip.Frames[start..(start + length)];
                using var code = tokenizer.EncodeFrames(piece);
                encodeSeconds += watch.Elapsed.TotalSeconds - began;
                if (windows.Count == 1) ctx.Progress("decoding");
                tally.Add(code);
                parts.Add(tokenizer.Decode(code));
            }
            decoded = parts.Count == 1 ? parts[0].alias() : cat(parts, 2);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
        using var decodedOwner = decoded;
        var decodeSeconds = watch.Elapsed.TotalSeconds - encodeSeconds;

        // A tensor file (and a single .png) is written whole; a video or frame folder frame by frame with the metrics.
        var byFrame = output is not null && !output.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
            && !output.EndsWith(".png", StringComparison.OrdinalIgnoreCase);
        using var sink = byFrame ? VideoFrameSink.Open(output!, clip.Height, clip.Width, clip.Fps) : null;
        var metrics = new FrameMetrics(tokenizer.Card.Range, sink);
        for (var t = 0; t < clip.FrameCount; t++)
        {
            metrics.Add(clip.Frames, t, decoded, t);
            CliCancellation.ThrowIfCancelled();
        }
        sink?.Complete();
        if (output is not null && !byFrame) VideoOutput.Write(output, decoded, clip.Fps, tokenizer.Card.Range);

        Report(ctx, tokenizer, clip.Source?.Path ?? input, clip.FrameCount, clip.Height, clip.Width, clip.Fps, tally, metrics.Psnr, metrics.Ssim, encodeSeconds, decodeSeconds, output);
        return ExitCode.Ok;
    }

    // PSNR and SSIM summed one frame at a time (the same per-frame figures, averaged the same way), each frame written
    // as it is compared: the float temporaries of the metrics and the writer are one frame's, not the clip's.
    private sealed class FrameMetrics(ValueRange range, VideoFrameSink? sink)
    {
        private double psnr, ssim;
        private int count;

        public double Psnr => psnr / count;

        public double Ssim => ssim / count;

        public int Count => count;

        /// <summary>Frame <paramref name="t"/> of uint8 <paramref name="originals"/> [T, H, W, 3] against frame <paramref name="u"/> of <paramref name="decoded"/> [1, 3, T', H, W] in the card's range.</summary>
        public void Add(Tensor originals, int t, Tensor decoded, int u)
        {
            using var scope = NewDisposeScope();
            var x = VideoClip.ToModelInput(originals[t..(t + 1)]);
            var frame = decoded[.., .., u..(u + 1)];
            var y = range.ToSigned(frame);   // metrics and video files work in [-1, 1]
            psnr += Metrics.Psnr.PerFrame(x, y)[0];
            ssim += Metrics.Ssim.PerFrame(x, y)[0];
            count++;
            if (sink is not null) VideoOutput.WriteFrames(sink, frame, range);
        }
    }

    // Frames flow from FFmpeg through an encode session into a decode session and on to the output as they come; each
    // input frame waits only until its reconstruction is out, for the metrics, which are averaged frame by frame.
    private static ExitCode ReconstructStreamed(CliContext ctx, VideoTokenizer tokenizer, FramePieces pieces, int expectedFrames, string? output)
    {
        var frames = pieces.Stream;
        var chunk = tokenizer.Options.TemporalChunk;
        var watch = Stopwatch.StartNew();
        ctx.Progress($"encoding and decoding frames of {Sizes.Show(frames.Height, frames.Width)} as they are read, in chunks of {chunk}");
        using var encode = tokenizer.StartEncode(expectedFrames);
        // The latents of the expected frames: 1 for frame 0, then one per temporal factor.
        using var decode = tokenizer.StartDecode(expectedFrames > 0 ? 1 + (expectedFrames - 1 + tokenizer.Card.Compression.Time - 1) / tokenizer.Card.Compression.Time : 0);
        using var sink = output is null ? null : VideoFrameSink.Open(output, frames.Height, frames.Width, frames.Fps);
        var waiting = new List<Tensor>();
        var used = 0; // frames of waiting[0] already compared
        var tally = new CodeTally();
        var metrics = new FrameMetrics(tokenizer.Card.Range, sink);
        try
        {
            void Compare(Tensor decoded)
            {
                for (var u = 0; u < decoded.shape[2]; u++)
                {
                    metrics.Add(waiting[0], used, decoded, u);
                    if (++used < waiting[0].shape[0]) continue;
                    waiting[0].Dispose();
                    waiting.RemoveAt(0);
                    used = 0;
                }
            }
            void Drain()
            {
                if (encode.Pull() is { } code)
                    using (code)
                    {
                        tally.Add(code);
                        decode.Push(code);
                    }
                if (decode.Pull() is { } video)
                    using (video) Compare(video);
            }
            while (pieces.Next(chunk) is { } piece)
            {
                waiting.Add(piece);
                encode.PushFrames(piece);   // kept 8-bit until the encoder converts each tile
                Drain();
                FreedMemory.Release();
                CliCancellation.ThrowIfCancelled();
            }
            encode.Complete();
            Drain();
            decode.Complete();
            Drain();
            sink?.Complete();
        }
        finally
        {
            foreach (var t in waiting) t.Dispose();
        }
        var seconds = watch.Elapsed.TotalSeconds;
        Report(ctx, tokenizer, frames.Source.Path, metrics.Count, frames.Height, frames.Width, frames.Fps, tally, metrics.Psnr, metrics.Ssim, seconds, null, output);
        return ExitCode.Ok;
    }

    private static void Report(CliContext ctx, VideoTokenizer tokenizer, string source, int frameCount, int height, int width, double fps, CodeTally code,
        double psnr, double ssim, double encodeSeconds, double? decodeSeconds, string? output)
    {
        var pixels = (double)frameCount * height * width;
        var o = ctx.Out;
        o.WriteLine($"input        {source}: {frameCount} frames, {Sizes.Show(height, width)}, {fps:0.###} fps");
        o.WriteLine($"model        {tokenizer.Card.Name} ({tokenizer.Card.Family}, {tokenizer.Card.Compression})");
        o.WriteLine($"code         {code.Describe(tokenizer)}");
        if (code.IsDiscrete)
            o.WriteLine($"rate         {code.Bits / pixels:0.####} bits per pixel; compression {pixels * 24 / code.Bits:0.#}x vs 24-bit RGB");
        else
            o.WriteLine($"rate         {code.Count:N0} latent values for {pixels * 3:N0} pixel values ({pixels * 3 / code.Count:0.#}x fewer)");
        o.WriteLine($"PSNR         {psnr:0.00} dB");
        o.WriteLine($"SSIM         {ssim:0.0000}");
        o.WriteLine(decodeSeconds is { } d
            ? $"time         encode {encodeSeconds:0.00} s, decode {d:0.00} s ({frameCount / (encodeSeconds + d):0.00} frames/s)"
            : $"time         encode and decode, streamed together, {encodeSeconds:0.00} s ({frameCount / encodeSeconds:0.00} frames/s)");
        if (output is not null) o.WriteLine($"written      {output}");
    }
}
