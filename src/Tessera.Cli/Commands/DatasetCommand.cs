using System.CommandLine;
using System.Globalization;
using Tessera.Dataset;
using Tessera.Video;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera dataset plan|encode|merge</c>: a whole video collection cut into clips, split into shards that batch
/// schedulers run in parallel (Kubernetes Indexed Jobs, Slurm job arrays), and written as WebDataset tars + Parquet.
/// </summary>
internal static class DatasetCommand
{
    /// <summary>Environment variables that carry the shard index when --shard is not given, in the order they are read.</summary>
    public static readonly string[] ShardVariables = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"];

    public static Command Create(CliContext ctx) => new("dataset", "Tokenize a whole video collection: plan shards, encode each, merge and verify")
    {
        Plan(ctx),
        Encode(ctx),
        Merge(ctx),
        Stats(ctx),
    };

    private static Command Plan(CliContext ctx)
    {
        var input = new Argument<string>("input") { Description = "Folder of videos (searched recursively) or CSV manifest with a 'videos' column" };
        var shards = new Option<int>("--shards") { Description = "Number of shards to split the clips into", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Plan folder to write (must not exist or be empty)", Required = true };
        var fps = CommonOptions.Fps();
        var size = CommonOptions.Size();
        var exact = CommonOptions.ExactResize();
        var frames = new Option<int>("--frames") { Description = "Frames per clip (after fps sampling)", DefaultValueFactory = _ => 16 };
        var stride = new Option<int?>("--stride") { Description = "Sampled frames between the starts of consecutive clips (default: --frames, no overlap)" };
        var split = new Option<string>("--split") { Description = "Only the manifest rows whose 'split' column has this value" };
        var quiet = CommonOptions.Quiet();
        var command = new Command("plan", "Probe every video and write a deterministic plan of clip windows split into shards balanced by frames")
        {
            input, shards, output, fps, size, exact, frames, stride, split, quiet,
        };
        command.SetAction(r => ctx.Run(r.GetValue(quiet), () =>
        {
            var sampling = new DatasetSampling
            {
                Fps = r.GetValue(fps),
                Size = CommonOptions.ParseSize(r.GetValue(size)),
                ResizeMode = r.GetValue(exact) ? ResizeMode.Exact : ResizeMode.ShortSideCenterCrop,
                FramesPerClip = r.GetValue(frames),
                Stride = r.GetValue(stride) ?? r.GetValue(frames),
            };
            return RunPlan(ctx, r.GetValue(input)!, r.GetValue(split), sampling, r.GetValue(shards), r.GetValue(output)!);
        }));
        return command;
    }

    public static ExitCode RunPlan(CliContext ctx, string input, string? split, DatasetSampling sampling, int shards, string output)
    {
        if (shards <= 0) throw new UsageException($"--shards must be positive, got {shards}");
        if (sampling.Fps is <= 0) throw new UsageException($"--fps must be positive, got {sampling.Fps}");
        if (sampling.FramesPerClip <= 0) throw new UsageException($"--frames must be positive, got {sampling.FramesPerClip}");
        if (sampling.Stride <= 0) throw new UsageException($"--stride must be positive, got {sampling.Stride}");
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
            throw new UsageException($"plan folder '{output}' exists and is not empty; choose another or remove it");
        VideoInputs.RequireInput(input);
        var videos = VideoList.Load(input, split);
        ctx.Progress($"probing {videos.Count} videos");
        var plan = DatasetPlanner.Plan(videos, sampling, shards);
        AtomicFile.WriteDirectory(output, dir => plan.Save(dir));
        foreach (var u in plan.Unreadable) ctx.Error.WriteLine($"warning: skipped {u.Name}: {u.Error}");
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{plan.Videos.Count} videos -> {plan.Clips.Count} clips of {sampling.FramesPerClip} frames in {shards} shards ({string.Join(", ", plan.ShardFrames)} frames){(plan.Unreadable.Count > 0 ? $"; {plan.Unreadable.Count} unreadable (listed in {DatasetPlan.FileName})" : "")} -> {output}"));
        return ExitCode.Ok;
    }

    private static Command Encode(CliContext ctx)
    {
        var plan = new Argument<string>("plan") { Description = "Plan folder written by 'tessera dataset plan'" };
        var shard = new Option<int?>("--shard") { Description = $"Shard to encode (default: ${ShardVariables[0]} or ${ShardVariables[1]})" };
        var model = CommonOptions.Model(required: true);
        var weights = CommonOptions.Weights();
        var ema = CommonOptions.Ema();
        var output = new Option<string>("--output", "-o") { Description = "Output folder shared by all shards", Required = true };
        var maxCount = new Option<int>("--max-count") { Description = "Clips per tar file", DefaultValueFactory = _ => 1000 };
        var chunk = CommonOptions.Chunk();
        var strict = CommonOptions.StrictFrames();
        var threads = CommonOptions.Threads();
        var normalize = new Option<string>("--normalize")
        {
            Description = "Latent statistics file from 'tessera dataset stats -o': store z_norm = (z - latents_mean) / latents_std per channel (recorded in every sample)",
        };
        var quiet = CommonOptions.Quiet();
        var command = new Command("encode", "Encode one shard of a plan into WebDataset tars + a Parquet index; resumes after a kill, does nothing when done")
        {
            plan, shard, model, weights, ema, output, maxCount, normalize, chunk, strict, threads, quiet,
        };
        command.SetAction(r => ctx.Run(r.GetValue(quiet), () => RunEncode(ctx, r.GetValue(plan)!, ResolveShard(r.GetValue(shard)),
            r.GetValue(model)!, r.GetValue(weights), r.GetValue(ema), r.GetValue(output)!, r.GetValue(maxCount),
            CommonOptions.Tokenizer(ctx, r.GetValue(chunk), r.GetValue(strict), r.GetValue(threads)), r.GetValue(normalize))));
        return command;
    }

    /// <summary>--shard, else the scheduler's task index (Kubernetes Indexed Job, Slurm job array).</summary>
    public static int ResolveShard(int? shard)
    {
        if (shard is { } s) return s;
        foreach (var name in ShardVariables)
        {
            var value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(value)) continue;
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                throw new UsageException($"${name} must be a shard index (a non-negative integer), got '{value}'");
            return index;
        }
        throw new UsageException($"no shard given: pass --shard I, or run under a scheduler that sets ${ShardVariables[0]} or ${ShardVariables[1]}");
    }

    public static ExitCode RunEncode(CliContext ctx, string planFolder, int shard, string model, string? weights, bool ema, string output,
        int maxCount, Inference.TokenizerOptions options, string? normalize = null)
    {
        if (maxCount <= 0) throw new UsageException($"--max-count must be positive, got {maxCount}");
        var plan = DatasetPlan.Load(planFolder);
        var statistics = normalize is null ? null : LatentStatistics.Load(normalize);
        if (shard < 0 || shard >= plan.Shards) throw new UsageException($"--shard must be 0 to {plan.Shards - 1} for this plan, got {shard}");
        var marker = Path.Combine(output, ShardFiles.Marker(shard));
        if (File.Exists(marker) && ShardMarker.Load(marker) is var done && done.PlanSha256 == plan.Sha256() && done.NormalizationSha256 == statistics?.Sha256())
        {
            ctx.Out.WriteLine($"shard {shard} is already done ({marker}); nothing to do");
            return ExitCode.Ok;
        }
        using var tokenizer = EncodeCommand.LoadTokenizer(ctx, model, weights, options, ema);
        var identity = new ShardModel(ModelName(model), File.Exists(model) ? FileDigest.Sha256(model) : null,
            weights is null ? null : Path.GetFileName(weights), weights is not null && File.Exists(weights) ? FileDigest.Sha256(weights) : null);
        var encoder = new ShardEncoder(plan, tokenizer, identity, maxCount)
        {
            Progress = ctx.Progress,
            CheckCancelled = CliCancellation.ThrowIfCancelled,
            Normalization = statistics,
        };
        var outcome = encoder.Encode(shard, output);
        var m = outcome.Marker;
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"shard {shard}: {m.Clips} clips ({m.Frames} frames, {outcome.EncodedThisRun} encoded now, {outcome.ResumedClips} from an earlier run), {m.FailedClips} failed -> {output}"));
        return ExitCode.Ok;
    }

    private static string ModelName(string model) =>
        !File.Exists(model) ? model : FileIdentity.Same(model, BundledModel.Path) ? BundledModel.Name : Path.GetFileName(model);

    private static Command Stats(CliContext ctx)
    {
        var folder = new Argument<string>("output") { Description = "Output folder of encoded shards (continuous latents)" };
        var output = new Option<string>("--output", "-o") { Description = "Also write the statistics here (JSON), for 'dataset encode --normalize'" };
        var command = new Command("stats", "Per-channel mean and standard deviation (float64) of the latents of encoded shards, and the global std") { folder, output };
        command.SetAction(r => ctx.Run(() =>
        {
            var s = LatentStatistics.Of(r.GetValue(folder)!);
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Samples} samples, {s.ValuesPerChannel} values per channel"));
            for (var c = 0; c < s.Mean.Count; c++)
                ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"channel {c}: mean {s.Mean[c]:G6}, std {s.Std[c]:G6}"));
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"global std {s.GlobalStd:G6}"));
            if (r.GetValue(output) is { } path)
            {
                s.Save(path);
                ctx.Out.WriteLine($"-> {path}");
            }
            return ExitCode.Ok;
        }));
        return command;
    }

    private static Command Merge(CliContext ctx)
    {
        var output = new Argument<string>("output") { Description = "Output folder the shards were encoded into" };
        var quiet = CommonOptions.Quiet();
        var command = new Command("merge", "Verify every shard against its done-marker and write the combined index.parquet and summary.json") { output, quiet };
        command.SetAction(r => ctx.Run(r.GetValue(quiet), () =>
        {
            var folder = r.GetValue(output)!;
            var s = DatasetMerger.Merge(folder);
            var usage = string.Concat(s.CodebookUsage.Select(g => string.Create(CultureInfo.InvariantCulture, $", {g.Group}: {g.Used}/{g.CodebookSize} codes used")));
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Shards} shards verified: {s.Clips} clips, {s.Frames} frames, {(s.Kind == SampleRecord.LatentsKind ? $"{s.LatentValues} latent values" : $"{s.Tokens} tokens")}{usage}, {s.FailedClips} failed -> {Path.Combine(folder, DatasetSummary.IndexName)}, {Path.Combine(folder, DatasetSummary.FileName)}"));
            return ExitCode.Ok;
        }));
        return command;
    }
}
