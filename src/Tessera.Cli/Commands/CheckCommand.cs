using System.CommandLine;
using Tessera.Checkpoints;
using Tessera.Inference;
using Tessera.Metrics;
using Tessera.Models;
using Tessera.Nn;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera check</c>: the answers to "my reconstruction is terrible". Prints the model card, runs a short clip (a
/// generated test pattern, or the given video) through the model, sets its PSNR beside the published figure, and warns
/// about the usual causes: input range, frame-count rule, wrong or mismatched weights, latent scale.
/// </summary>
internal static class CheckCommand
{
    /// <summary>How far (dB) below the published PSNR a clip may fall before the weights are suspected: the clip is not the
    /// benchmark, so only a gap no content explains is reported.</summary>
    public const double SuspiciousGap = 8;

    public static Command Create(CliContext ctx)
    {
        var model = new Argument<string>("model")
        {
            Description = "Preset (official weights from the Hugging Face Hub), hf:<owner>/<repo>[@revision]/<path>, Tessera model file, or YAML with --weights",
        };
        var video = new Argument<string?>("video") { Description = "Clip to run (default: a generated test pattern)", Arity = ArgumentArity.ZeroOrOne };
        var weights = CommonOptions.Weights();
        var ema = CommonOptions.Ema();
        var size = CommonOptions.Size();
        size.Description += "; default: the model's input size, else 64 for the test pattern and 128 for a video";
        var frames = CommonOptions.Frames();
        frames.Description = "Frames of the video to run (default: the model's evaluation clip, e.g. 17)";
        var threads = CommonOptions.Threads();
        var quiet = CommonOptions.Quiet();
        var command = new Command("check", "Check a model: its card, a test reconstruction against the published PSNR, and warnings about what looks wrong")
        {
            model, video, weights, ema, size, frames, threads, quiet,
        };
        command.SetAction(r => ctx.Run(r.GetValue(quiet), () => Run(ctx, BundledModels.ResolveName(r.GetValue(model)!), r.GetValue(video), r.GetValue(weights),
            r.GetValue(ema), CommonOptions.ParseSize(r.GetValue(size)), r.GetValue(frames), r.GetValue(threads))));
        return command;
    }

    public static ExitCode Run(CliContext ctx, string model, string? video, string? weights, bool ema, (int Height, int Width)? size, int? frames, int threads = 0)
    {
        if (frames is <= 0) throw new UsageException($"--frames must be positive, got {frames}");
        if (video is not null) VideoInputs.RequireInput(video);
        using var scope = NewDisposeScope();
        (model, weights, ema) = ModelArgument.Resolve(ctx, model, weights, ema);
        var recorded = Recorded(weights, model);
        var options = new TokenizerOptions { Threads = threads, Progress = CliCancellation.Checking(null), Frames = FramePolicy.PadLastFrame };
        using var tokenizer = EncodeCommand.LoadTokenizer(ctx, model, weights, options, ema);
        var card = tokenizer.Card;
        var o = ctx.Out;
        InfoCommand.PrintConfig(o, tokenizer.Config);
        o.WriteLine($"weights      {weights ?? model}");
        var warnings = new List<string>();
        if (ConvertedFrom(weights ?? model) is { } source && ModelFamilies.IsPreset(source) && source != card.Name)
            warnings.Add($"the weights were converted from {source}.ckpt but the model is configured as {card.Name}: convert each checkpoint with its own preset or YAML");

        using var clip = video is null
            ? TestPattern(card, size ?? card.InputSize ?? (64, 64))
            : VideoReader.Read(video, new ReadOptions { Size = size ?? card.InputSize ?? (128, 128), FrameCount = frames ?? card.EvalClipFrames });
        o.WriteLine($"clip         {(video is null ? "generated test pattern" : video)}: {clip.FrameCount} frames of {Sizes.Show(clip.Height, clip.Width)}");
        if (!card.Frames.Accepts(clip.FrameCount))
            warnings.Add($"{clip.FrameCount} frames: the model takes {card.Frames.Describe()}; Tessera pads to {card.Frames.NextAccepted(clip.FrameCount)?.ToString() ?? "?"} " +
                         "with the last frame (--strict-frames refuses), code that passes the clip as it is gets misaligned or shortened frames");

        using var x = clip.ToModelInput();
        var (psnr, code) = Reconstruct(tokenizer, x, card.Range, warnings);
        using (code)
        {
            o.WriteLine($"PSNR         {psnr:0.00} dB");
            Expectation(o, warnings, card, recorded, psnr, pattern: video is null);
            var wrong = card.Range.IsSigned ? new ValueRange(0, 1) : new ValueRange(-1, 1);
            var (misranged, other) = Reconstruct(tokenizer, x, wrong, null);
            other.Dispose();
            o.WriteLine($"input range  the model takes {card.Range}; the same clip given in {wrong} (a common slip) reconstructs at {misranged:0.00} dB");
            if (misranged > psnr + 1)
                warnings.Add($"the clip reconstructs better given in {wrong} than in the model's {card.Range}: the weights may have been trained on another input range");
            Describe(o, warnings, code);
        }
        foreach (var w in warnings) ctx.Error.WriteLine($"warning: {w}");
        o.WriteLine(warnings.Count == 0 ? "result       nothing looks wrong" : $"result       {warnings.Count} warning(s) on stderr");
        return ExitCode.Ok;
    }

    /// <summary>Whether a PSNR is far enough below a published one that the weights, not the clip, are the likelier cause.</summary>
    public static bool Suspicious(double psnr, double published) => psnr < published - SuspiciousGap;

    // Encodes and decodes x (signed [-1, 1]) given to the model in `range`; PSNR against x, reading the output in that range too.
    private static (double Psnr, VideoCode Code) Reconstruct(VideoTokenizer tokenizer, Tensor x, ValueRange range, List<string>? warnings)
    {
        using var input = range.FromSigned(x);
        var code = tokenizer.Encode(input);
        using var decoded = tokenizer.Decode(code);
        using var y = range.ToSigned(decoded);
        CliCancellation.ThrowIfCancelled();
        if (warnings is not null && y.std().item<float>() < 1e-3)
            warnings.Add("the decoder's output is flat (one colour): the weights are likely not the trained ones");
        return (Psnr.PerFrame(x, y).Average(), code);
    }

    private static void Expectation(TextWriter o, List<string> warnings, ModelCard card, Recording? recorded, double psnr, bool pattern)
    {
        // A model file's own record of its held-out PSNR first; an official preset's published figure otherwise.
        var published = recorded is { About: { } about }
            ? (about.Psnr, $"{Path.GetFileName(recorded.File)} metadata: {about.Protocol}")
            : ModelFamilies.Get(card.Family).PublishedPsnr(card.Name);
        if (published is not { } p)
        {
            o.WriteLine(recorded is { } r
                ? $"expected     no held-out PSNR recorded in {Path.GetFileName(r.File)}'s metadata ('tessera annotate --about' records one)"
                : $"expected     no published PSNR for {card.Name}");
            return;
        }
        o.WriteLine($"expected     {p.Psnr:0.00} dB published ({p.Source}); " +
                    (pattern ? "the smooth test pattern should come close" : "how close a video comes depends on its content (run without a video for the test pattern)"));
        // Only the pattern's content is known; a user's video may simply be harder than the benchmark.
        if (pattern && Suspicious(psnr, p.Psnr))
            warnings.Add($"PSNR {psnr:0.00} dB on the test pattern is {p.Psnr - psnr:0.0} dB below the published {p.Psnr:0.00} dB: wrong or mismatched weights " +
                         "(a checkpoint converted with another preset's config, --ema on a checkpoint without trained EMA weights), or an input range the model was not trained on");
    }

    private static void Describe(TextWriter o, List<string> warnings, VideoCode code)
    {
        switch (code)
        {
            case TokenIds ids:
                foreach (var g in ids.TokenGroups)
                {
                    using var distinct = ids[g.Name].unique().Item1;
                    var used = distinct.numel();
                    o.WriteLine($"tokens       {g.Name}: {used:N0} distinct of {g.CodebookSize:N0} codes in {ids[g.Name].numel():N0} tokens");
                    if (used == 1 && ids[g.Name].numel() > 1)
                        warnings.Add($"every {g.Name} token is the same code: the encoder has collapsed or its weights are not the trained ones");
                }
                break;
            case Latents l:
                var mean = l.Values.mean().item<float>();
                var std = l.Values.std().item<float>();
                o.WriteLine($"latents      mean {mean:0.###}, std {std:0.###} (as the encoder gives them: Tessera, like VidTok, does not normalise latents)");
                if (std is > 2 or < 0.5f)
                    warnings.Add($"the latents' std is {std:0.###}: a downstream model that expects unit-variance latents needs them scaled by {1 / std:0.####} (and back by {std:0.####} before decoding)");
                break;
        }
    }

    // A Tessera model file among the weights and the model, and the held-out PSNR its metadata records: the first of them that
    // records one, else the first model file (whose metadata then records none).
    private sealed record Recording(string File, (double Psnr, string Protocol)? About);

    private static Recording? Recorded(params string?[] files)
    {
        var recordings = files
            .Where(f => f is not null && f.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && File.Exists(f))
            .Select(f => SafeTensorsFile.ReadHeader(f!).Metadata is var m && ModelFamilies.ReadConfig(m, f!) is not null ? new Recording(f!, ModelAbout.HeldOutPsnr(m)) : null)
            .OfType<Recording>()
            .ToList();
        return recordings.FirstOrDefault(r => r.About is not null) ?? recordings.FirstOrDefault();
    }

    // The official checkpoint a Tessera model file was converted from (its file name without extension), if it records one.
    private static string? ConvertedFrom(string path)
    {
        if (!path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || !File.Exists(path)) return null;
        return SafeTensorsFile.ReadHeader(path).Metadata.GetValueOrDefault("converted_from") is { } from ? Path.GetFileNameWithoutExtension(from) : null;
    }

    // A smooth colour field with a square crossing it: easy content for any trained tokenizer, the same on every machine.
    internal static VideoClip TestPattern(ModelCard card, (int Height, int Width) size)
    {
        var frames = card.EvalClipFrames;
        using var scope = NewDisposeScope();
        var (h, w) = size;
        var t = arange(Scalars.Of(frames), ScalarType.Float32).view(frames, 1, 1) / frames;
        var y = arange(Scalars.Of(h), ScalarType.Float32).view(1, h, 1) / h;
        var x = arange(Scalars.Of(w), ScalarType.Float32).view(1, 1, w) / w;
        var r = (0.35 * sin(2 * Math.PI * (2 * x).add(t, Scalars.One))).add(Scalars.Of(0.5), Scalars.One);
        var g = (0.35 * cos(2 * Math.PI * (1.5 * y - 0.5 * t))).add(Scalars.Of(0.5), Scalars.One);
        var b = (0.35 * sin((2 * Math.PI * x.add(y, Scalars.One)).add(3 * t, Scalars.One))).add(Scalars.Of(0.5), Scalars.One);
        var square = ((x - (0.6 * t).add(Scalars.Of(0.2), Scalars.One)).abs() < Scalars.Of(0.12)).logical_and((y - 0.5).abs() < Scalars.Of(0.12));
        var rgb = stack([r.expand(frames, h, w), g.expand(frames, h, w), b.expand(frames, h, w)], 3);
        rgb = where(square.unsqueeze(3), full_like(rgb, Scalars.Of(0.95)), rgb);
        var bytes = (rgb * 255).round().clamp(Scalars.Of(0), Scalars.Of(255)).to_type(ScalarType.Byte);
        return new VideoClip(bytes.MoveToOuterDisposeScope(), 8);
    }
}
