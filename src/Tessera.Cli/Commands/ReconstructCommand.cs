using System.CommandLine;
using System.Diagnostics;
using Tessera.Inference;
using Tessera.Metrics;
using Tessera.Video;

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
        command.SetAction(r => ctx.Run(r.GetValue(video.Quiet), () => Run(ctx, r.GetValue(video.Input)!, BundledModel.Resolve(r.GetValue(video.Model)), r.GetValue(video.Weights),
            r.GetValue(output), video.Read(r), video.Tokenizer(ctx, r), r.GetValue(video.Ema))));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string input, string model, string? weights, string? output,
        ReadOptions read, TokenizerOptions options, bool ema)
    {
        if (output is not null)
        {
            VideoOutput.Check(output);
            OutputGuard.Prepare(output, input, model, weights);
        }
        VideoInputs.RequireInput(input);
        VideoInputs.AnnounceSize(read, ctx);
        using var tokenizer = EncodeCommand.LoadTokenizer(ctx, model, weights, options, ema);
        read = VideoInputs.ForModel(read, tokenizer.Card, ctx);
        ctx.Progress($"reading {input}");
        using var clip = VideoReader.Read(input, read);
        using var x = clip.ToModelInput();

        var watch = Stopwatch.StartNew();
        ctx.Progress($"encoding {clip.FrameCount} frames of {Sizes.Show(clip.Height, clip.Width)}");
        using var modelInput = tokenizer.Card.Range.FromSigned(x);
        using var code = tokenizer.Encode(modelInput);
        var encodeSeconds = watch.Elapsed.TotalSeconds;
        ctx.Progress("decoding");
        using var decoded = tokenizer.Decode(code);
        using var y = tokenizer.Card.Range.ToSigned(decoded);   // metrics and video files work in [-1, 1]
        var decodeSeconds = watch.Elapsed.TotalSeconds - encodeSeconds;

        var psnr = Psnr.PerFrame(x, y).Average();
        var ssim = Ssim.PerFrame(x, y).Average();
        CliCancellation.ThrowIfCancelled();
        if (output is not null) VideoOutput.Write(output, decoded, clip.Fps, tokenizer.Card.Range);

        var pixels = (double)clip.FrameCount * clip.Height * clip.Width;
        var o = ctx.Out;
        o.WriteLine($"input        {clip.Source?.Path ?? input}: {clip.FrameCount} frames, {Sizes.Show(clip.Height, clip.Width)}, {clip.Fps:0.###} fps");
        o.WriteLine($"model        {tokenizer.Card.Name} ({tokenizer.Card.Family}, {tokenizer.Card.Compression})");
        o.WriteLine($"code         {EncodeCommand.Describe(code)}");
        switch (code)
        {
            case TokenIds ids:
                var bits = ids.Bits;
                o.WriteLine($"rate         {bits / pixels:0.####} bits per pixel; compression {pixels * 24 / bits:0.#}x vs 24-bit RGB");
                break;
            case Latents l:
                o.WriteLine($"rate         {l.Values.numel():N0} latent values for {pixels * 3:N0} pixel values ({pixels * 3 / l.Values.numel():0.#}x fewer)");
                break;
        }
        o.WriteLine($"PSNR         {psnr:0.00} dB");
        o.WriteLine($"SSIM         {ssim:0.0000}");
        o.WriteLine($"time         encode {encodeSeconds:0.00} s, decode {decodeSeconds:0.00} s ({clip.FrameCount / (encodeSeconds + decodeSeconds):0.00} frames/s)");
        if (output is not null) o.WriteLine($"written      {output}");
        return ExitCode.Ok;
    }
}
