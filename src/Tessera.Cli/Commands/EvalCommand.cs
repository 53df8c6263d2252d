using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Tessera.Evaluation;
using Tessera.Inference;
using Tessera.Metrics;
using Tessera.Metrics.Fvd;
using Tessera.Video;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera eval</c>: VidTok's evaluation protocol over a folder of videos or a CSV manifest, with per-video and overall
/// CSV/JSON, a Markdown table and a self-contained HTML report. A video that fails is reported and skipped; the run then
/// exits 3 after writing everything else.
/// </summary>
internal static class EvalCommand
{
    public static Command Create(CliContext ctx)
    {
        var input = new Argument<string>("input") { Description = "Folder of videos (searched recursively) or CSV manifest with a 'videos' column" };
        var model = CommonOptions.Model(required: false);
        model.Description += " (default: the bundled default model; 'tessera info' lists the bundled models)";
        var weights = CommonOptions.Weights();
        var ema = CommonOptions.Ema();
        var fps = new Option<double>("--fps") { Description = "Sample every round(src_fps / fps)-th frame", DefaultValueFactory = _ => 30.0 };
        var size = new Option<string>("--size") { Description = "Short side resized (antialiased) then centre crop: N or WxH (width x height, e.g. 1280x720)", DefaultValueFactory = _ => "256" };
        var frames = new Option<int?>("--frames") { Description = "Frames per clip (default: 17 causal, 16 non-causal)" };
        var longVideo = new Option<bool>("--long") { Description = "Whole video as one clip through the chunked path (causal v1.1), truncated to chunk·⌊(L−1)/chunk⌋+1 frames as the reference" };
        var keepAll = new Option<bool>("--long-keep-all") { Description = "With --long: keep every frame (pad with the last frame and trim) instead of the reference's truncation" };
        var chunk = CommonOptions.Chunk();
        var threads = CommonOptions.Threads();
        var split = new Option<string>("--split") { Description = "Manifest only: evaluate the rows whose 'split' column has this value" };
        var lpipsWeights = new Option<string>("--lpips-weights") { Description = "LPIPS backbone weights (torchvision VGG16 or AlexNet .pth)" };
        var lpipsHeads = new Option<string>("--lpips-heads") { Description = "LPIPS v0.1 linear heads (.pth, e.g. vgg.pth)" };
        var lpipsNet = new Option<string>("--lpips-net") { Description = "LPIPS backbone: vgg (VidTok's choice) or alex", DefaultValueFactory = _ => "vgg" };
        var i3d = new Option<string>("--i3d-weights") { Description = "I3D for FVD: pytorch-i3d state dict (rgb_imagenet.pt) or TorchScript i3d_torchscript.pt; first 16 frames of each clip, 224x224" };
        var samples = new Option<int>("--sample-frames") { Description = "Frames per video shown in the HTML report", DefaultValueFactory = _ => 4 };
        var output = new Option<string>("--output", "-o") { Description = "Folder for the results", Required = true };
        var quiet = CommonOptions.Quiet();
        var command = new Command("eval", "Evaluate a tokenizer on a set of videos (VidTok protocol): PSNR, SSIM, LPIPS, FVD, codebook usage; CSV, JSON, Markdown, HTML");
        command.Arguments.Add(input);
        foreach (var o in new Option[] { model, weights, ema, fps, size, frames, longVideo, keepAll, chunk, threads, split, lpipsWeights, lpipsHeads, lpipsNet, i3d, samples, output, quiet })
            command.Options.Add(o);
        command.SetAction(r => ctx.Run(r.GetValue(quiet), () => Run(ctx, new Request(
            r.GetValue(input)!, BundledModels.Resolve(r.GetValue(model)), r.GetValue(weights), r.GetValue(ema), r.GetValue(fps), r.GetValue(size)!, r.GetValue(frames),
            r.GetValue(longVideo), r.GetValue(keepAll), r.GetValue(chunk), r.GetValue(threads), r.GetValue(split),
            r.GetValue(lpipsWeights), r.GetValue(lpipsHeads), r.GetValue(lpipsNet)!, r.GetValue(i3d), r.GetValue(samples), r.GetValue(output)!))));
        return command;
    }

    public sealed record Request(string Input, string Model, string? Weights, bool Ema, double Fps, string Size, int? Frames,
        bool Long, bool LongKeepAll, int Chunk, int Threads, string? Split, string? LpipsWeights, string? LpipsHeads, string LpipsNet,
        string? I3dWeights, int SampleFrames, string Output);

    public static ExitCode Run(CliContext ctx, Request q)
    {
        if (!(q.Fps > 0 && double.IsFinite(q.Fps))) throw new UsageException($"--fps must be positive, got {q.Fps}");
        if (q.Frames is <= 0) throw new UsageException($"--frames must be positive, got {q.Frames}");
        if (q.Long && q.Frames is not null) throw new UsageException("--frames sets the clip length of the clip mode; --long evaluates whole videos");
        if (q.LongKeepAll && !q.Long) throw new UsageException("--long-keep-all needs --long");
        if (q.SampleFrames < 0) throw new UsageException($"--sample-frames must not be negative, got {q.SampleFrames}");
        if ((q.LpipsWeights is null) != (q.LpipsHeads is null)) throw new UsageException("LPIPS needs both --lpips-weights (backbone) and --lpips-heads");
        if (File.Exists(q.Output)) throw new UsageException($"--output '{q.Output}' is a file; give a folder");
        OutputGuard.Prepare(q.Output, q.Input, q.Model, q.Weights, q.LpipsWeights, q.LpipsHeads, q.I3dWeights);
        OutputGuard.CleanStaleTemporaries(q.Output);
        OutputGuard.CleanStaleTemporaries(Path.Combine(q.Output, "videos"));
        var size = CommonOptions.ParseSize(q.Size)!.Value;
        ctx.Progress(CommonOptions.DescribeSize(size, exact: false));

        var lpipsNet = MetricLoaders.ParseLpipsNet(q.LpipsNet);

        VideoInputs.RequireSome(q.Input, q.Split);
        var videos = VideoList.Load(q.Input, q.Split);
        using var lpips = q.LpipsWeights is null ? null : MetricLoaders.LoadLpips(lpipsNet, q.LpipsWeights, q.LpipsHeads!);
        using var i3d = q.I3dWeights is null ? null : MetricLoaders.LoadI3d(q.I3dWeights);
        using var tokenizer = EncodeCommand.LoadTokenizer(ctx, q.Model, q.Weights, new TokenizerOptions { TemporalChunk = q.Chunk, Threads = q.Threads, Progress = CliCancellation.Checking(null) }, q.Ema);
        var evaluator = new Evaluator(tokenizer, new EvalOptions
        {
            Fps = q.Fps,
            Size = size,
            ClipFrames = q.Frames,
            LongVideo = q.Long,
            LongVideoLength = q.LongKeepAll ? LongVideoLength.KeepAll : LongVideoLength.TruncateAsReference,
            ExtraMetrics = lpips is null ? [] : [lpips],
            FvdExtractor = i3d,
            SampleFrames = q.SampleFrames,
        });
        ctx.Progress($"evaluating {videos.Count} videos: {q.Fps:0.###} fps, {CommonOptions.DescribeSize(size, exact: false)}, " +
                     (q.Long ? "whole videos (long mode)" : $"{evaluator.ClipFrames}-frame clips") +
                     (lpips is null ? "" : $", {lpips.Name}") + (i3d is null ? "" : $", FVD ({i3d.Name}, {I3dFeatureExtractor.ProtocolFrames}-frame windows)") +
                     $" -> {q.Output}");

        var names = evaluator.MetricNames;
        EvalRun run;
        if (ctx.ShowsProgress)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            run = null!;
            console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(p =>
                {
                    var all = p.AddTask("videos", maxValue: videos.Count);
                    var clips = p.AddTask("clips", maxValue: 1);
                    var progress = new SyncProgress<EvalProgress>(e =>
                    {
                        CliCancellation.ThrowIfCancelled();
                        clips.Description = Markup.Escape($"{e.Name} clips");
                        clips.MaxValue = Math.Max(1, e.Clips);
                        clips.Value = e.Clip;
                        all.Value = e.Video + (e.Clips > 0 ? (double)e.Clip / e.Clips : 0);
                    });
                    run = evaluator.Run(videos, q.Input, Paths.Describe(q.Model), progress, v =>
                    {
                        CliCancellation.ThrowIfCancelled();
                        EvalOutput.WriteVideo(q.Output, v, names);
                        if (v.Failed) console.MarkupLineInterpolated($"[red]failed[/] {v.Name}: {v.Error}");
                    }, CliCancellation.Current?.Token ?? default);
                    all.Value = videos.Count;
                });
        }
        else
        {
            // Redirected stderr is a log: a line per video and at most one per 10 s; --quiet leaves only the final errors.
            var lines = new PlainProgress(ctx.Error, videos.Count);
            run = evaluator.Run(videos, q.Input, Paths.Describe(q.Model), ctx.Quiet ? null : lines, v =>
            {
                CliCancellation.ThrowIfCancelled();
                EvalOutput.WriteVideo(q.Output, v, names);
                if (!ctx.Quiet) ctx.Error.WriteLine(v.Failed ? $"failed {v.Name}: {v.Error}" : lines.Done(v, names));
            }, CliCancellation.Current?.Token ?? default);
        }
        CliCancellation.ThrowIfCancelled();
        EvalOutput.WriteSummary(q.Output, run);

        foreach (var w in run.Warnings) ctx.Error.WriteLine($"warning: {w}");
        if (run.Succeeded == 0)
        {
            // An all-n/a table on stdout would read like a result; there is none.
            ctx.Error.WriteLine($"error: none of the {run.Videos.Count} videos could be evaluated, so there are no results " +
                                $"(the reports in '{q.Output}' list the failures):");
            foreach (var v in run.Videos) ctx.Error.WriteLine($"  {v.Name}: {v.Error}");
            return ExitCode.InvalidInput;
        }
        var o = ctx.Out;
        o.Write(EvalOutput.Markdown(run));
        o.WriteLine($"written      {Path.Combine(q.Output, "summary.md")}, summary.json, results.csv, report.html, videos/");
        if (run.Failed > 0)
        {
            ctx.Error.WriteLine($"error: {run.Failed} of {run.Videos.Count} videos could not be evaluated:");
            foreach (var v in run.Videos.Where(v => v.Failed)) ctx.Error.WriteLine($"  {v.Name}: {v.Error}");
            return ExitCode.InvalidInput;
        }
        return ExitCode.Ok;
    }

    /// <summary>Reports synchronously (System.Progress posts to the thread pool, which would reorder updates).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>Plain progress lines with an ETA for redirected stderr: one per video, and one per clip at most every 10 s.</summary>
    private sealed class PlainProgress(TextWriter writer, int videos) : IProgress<EvalProgress>
    {
        private readonly Stopwatch watch = Stopwatch.StartNew();
        private TimeSpan lastLine = TimeSpan.Zero;

        public void Report(EvalProgress e)
        {
            CliCancellation.ThrowIfCancelled();
            if (e.Clips == 0 || e.Clip == e.Clips) return;
            if (e.Clip == 0) writer.WriteLine($"[{e.Video + 1}/{videos}] {e.Name}: {e.Clips} clips{Eta(e)}");
            else if (watch.Elapsed - lastLine > TimeSpan.FromSeconds(10)) writer.WriteLine($"[{e.Video + 1}/{videos}] {e.Name}: clip {e.Clip}/{e.Clips}{Eta(e)}");
            else return;
            lastLine = watch.Elapsed;
        }

        public string Done(VideoResult v, IReadOnlyList<string> names) =>
            $"done {v.Name}: {v.EvaluatedFrames} frames, " +
            string.Join(", ", names.Select(n => $"{EvalOutput.Title(n)} {EvalOutput.Show(n, v.Metrics.GetValueOrDefault(n))}")) + $", {v.Seconds:0.0} s";


        private string Eta(EvalProgress e)
        {
            var fraction = (e.Video + (double)e.Clip / Math.Max(1, e.Clips)) / videos;
            var elapsed = watch.Elapsed.TotalSeconds;
            return fraction > 0 ? $" ({elapsed:0}s elapsed, ~{elapsed / fraction * (1 - fraction):0}s left)" : "";
        }
    }
}

/// <summary>
/// Loads the learned metrics' weights for <c>tessera eval</c>, before any video is read. A missing, unreadable or
/// mismatched weight file is a checkpoint error (exit 4) whose message names the option.
/// </summary>
internal static class MetricLoaders
{
    /// <summary><c>--lpips-net</c>: vgg (VidTok's choice) or alex.</summary>
    public static LpipsBackbone ParseLpipsNet(string net) => net switch
    {
        "vgg" => LpipsBackbone.Vgg16,
        "alex" => LpipsBackbone.AlexNet,
        _ => throw new UsageException($"--lpips-net must be vgg or alex, got '{net}'"),
    };

    /// <summary>LPIPS from a torchvision trunk (<c>features.N.*</c>) and v0.1 heads (<c>lin{k}.model.1.weight</c>).</summary>
    public static Lpips LoadLpips(LpipsBackbone backbone, string backbonePath, string headsPath) =>
        Guard("--lpips-weights/--lpips-heads", () => Lpips.Load(backbone, backbonePath, headsPath));

    /// <summary>The I3D for FVD: a pytorch-i3d state dict or a TorchScript I3D, returning the 400 logits (the FVD vector).</summary>
    public static I3dFeatureExtractor LoadI3d(string path) =>
        Guard("--i3d-weights", () => I3dFeatureExtractor.Load(path, I3dOutput.Logits));

    private static T Guard<T>(string option, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (CheckpointFormatException e)
        {
            throw new CheckpointFormatException($"{option}: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException($"{option}: cannot read the weights: {e.Message}", e);
        }
    }
}
