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
        Stats(ctx, "stats"),
        ExportConfig(ctx),
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
        var plan = DatasetPlanner.Plan(videos, sampling, shards, cancellationToken: CliCancellation.Current?.Token ?? default);
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
            Description = "Latent statistics file from 'tessera dataset stats -o': store z_norm = (z - latents_mean) * scaling_factor / latents_std per channel (recorded in every sample)",
        };
        var scaling = new Option<double>("--scaling-factor") { Description = "The scaling_factor of --normalize's formula", DefaultValueFactory = _ => 1.0 };
        var posterior = new Option<string>("--posterior") { Description = "Continuous latents: the posterior 'mean' or a 'sample' (seeded per clip from --seed)", DefaultValueFactory = _ => "mean" };
        var seed = new Option<long>("--seed") { Description = "Seed of --posterior sample (each clip draws from SHA-256(seed:key))", DefaultValueFactory = _ => 0 };
        var logvar = new Option<bool>("--logvar") { Description = "Also store the posterior log-variance as tensor 'logvar' beside the latents (normalised like them), so trainers can resample" };
        var vocabOffset = new Option<long>("--vocab-offset") { Description = "Token ids: offset recorded in every record and added to the ids of --format megatron", DefaultValueFactory = _ => 0 };
        var format = new Option<string>("--format") { Description = "'webdataset' (tars + Parquet), or 'megatron': also a Megatron-LM indexed dataset (.bin/.idx) of the tokens per shard", DefaultValueFactory = _ => "webdataset" };
        var parallel = new Option<int?>("--parallel") { Description = "Encode every shard of the plan on this machine, K processes at a time (the cores split between them)" };
        var quiet = CommonOptions.Quiet();
        var command = new Command("encode", "Encode one shard of a plan into WebDataset tars + a Parquet index; resumes after a kill, does nothing when done")
        {
            plan, shard, model, weights, ema, output, maxCount, normalize, scaling, posterior, seed, logvar, vocabOffset, format, parallel, chunk, strict, threads, quiet,
        };
        command.SetAction(r => ctx.Run(r.GetValue(quiet), () =>
        {
            var encoding = Encoding(r.GetValue(posterior)!, r.GetValue(seed), r.GetValue(logvar), r.GetValue(scaling), r.GetValue(vocabOffset), r.GetValue(format)!);
            if (r.GetValue(parallel) is { } k)
            {
                if (r.GetValue(shard) is not null) throw new UsageException("give --shard or --parallel, not both");
                var planFolder = r.GetValue(plan)!;
                var shards = DatasetPlan.Load(planFolder).Shards;
                return DatasetParallel.Run(ctx, shards, k, r.GetValue(threads), (i, t) =>
                {
                    List<string> args = ["dataset", "encode", planFolder, "--shard", i.ToString(CultureInfo.InvariantCulture), "-m", r.GetValue(model)!,
                        "-o", r.GetValue(output)!, "--threads", t.ToString(CultureInfo.InvariantCulture),
                        "--max-count", r.GetValue(maxCount).ToString(CultureInfo.InvariantCulture), "--chunk", r.GetValue(chunk).ToString(CultureInfo.InvariantCulture),
                        "--posterior", r.GetValue(posterior)!, "--seed", r.GetValue(seed).ToString(CultureInfo.InvariantCulture),
                        "--scaling-factor", r.GetValue(scaling).ToString("R", CultureInfo.InvariantCulture),
                        "--vocab-offset", r.GetValue(vocabOffset).ToString(CultureInfo.InvariantCulture), "--format", r.GetValue(format)!];
                    if (r.GetValue(weights) is { } w) args.AddRange(["-w", w]);
                    if (r.GetValue(ema)) args.Add("--ema");
                    if (r.GetValue(strict)) args.Add("--strict-frames");
                    if (r.GetValue(logvar)) args.Add("--logvar");
                    if (r.GetValue(normalize) is { } n) args.AddRange(["--normalize", n]);
                    return args;
                });
            }
            return RunEncode(ctx, r.GetValue(plan)!, ResolveShard(r.GetValue(shard)),
                r.GetValue(model)!, r.GetValue(weights), r.GetValue(ema), r.GetValue(output)!, r.GetValue(maxCount),
                CommonOptions.Tokenizer(ctx, r.GetValue(chunk), r.GetValue(strict), r.GetValue(threads)), r.GetValue(normalize), encoding);
        }));
        return command;
    }

    /// <summary>The encode options beyond the model as a <see cref="ShardEncoding"/>, with usage errors for bad values.</summary>
    public static ShardEncoding Encoding(string posterior, long seed, bool logvar, double scalingFactor, long vocabOffset, string format)
    {
        if (posterior is not ("mean" or "sample")) throw new UsageException($"--posterior must be 'mean' or 'sample', got '{posterior}'");
        if (format is not ("webdataset" or "megatron")) throw new UsageException($"--format must be 'webdataset' or 'megatron', got '{format}'");
        if (!double.IsFinite(scalingFactor) || scalingFactor <= 0) throw new UsageException($"--scaling-factor must be positive, got {scalingFactor}");
        if (vocabOffset < 0) throw new UsageException($"--vocab-offset must not be negative, got {vocabOffset}");
        return new ShardEncoding
        {
            SampleSeed = posterior == "sample" ? seed : null,
            LogVar = logvar,
            ScalingFactor = scalingFactor,
            VocabularyOffset = vocabOffset,
            Megatron = format == "megatron",
        };
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
        int maxCount, Inference.TokenizerOptions options, string? normalize = null, ShardEncoding? encoding = null)
    {
        if (maxCount <= 0) throw new UsageException($"--max-count must be positive, got {maxCount}");
        var plan = DatasetPlan.Load(planFolder);
        var statistics = normalize is null ? null : LatentStatistics.Load(normalize);
        if (shard < 0 || shard >= plan.Shards) throw new UsageException($"--shard must be 0 to {plan.Shards - 1} for this plan, got {shard}");
        var marker = Path.Combine(output, ShardFiles.Marker(shard));
        encoding ??= new ShardEncoding();
        if (File.Exists(marker) && ShardMarker.Load(marker) is var done && done.PlanSha256 == plan.Sha256() && done.NormalizationSha256 == statistics?.Sha256()
            && done.Encoding == encoding.Describe())
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
            Encoding = encoding,
        };
        var outcome = encoder.Encode(shard, output, CliCancellation.Current?.Token ?? default);
        var m = outcome.Marker;
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"shard {shard}: {m.Clips} clips ({m.Frames} frames, {outcome.EncodedThisRun} encoded now, {outcome.ResumedClips} from an earlier run), {m.FailedClips} failed -> {output}"));
        return ExitCode.Ok;
    }

    private static string ModelName(string model) =>
        !File.Exists(model) ? model : BundledModels.NameOf(model) ?? Path.GetFileName(model);

    /// <summary><c>dataset stats</c>, also registered as the top-level <c>tessera stats</c>.</summary>
    public static Command Stats(CliContext ctx, string name)
    {
        var folder = new Argument<string>("input") { Description = "Output folder of encoded shards (continuous latents), or a plan folder (its clips are encoded with -m first)" };
        var output = new Option<string>("--output", "-o") { Description = "Also write the statistics here (JSON), for 'dataset encode --normalize'" };
        var model = new Option<string>("--model", "-m") { Description = "The model: encodes a plan's clips; with --write-model, the model file that gets the statistics" };
        var writeModel = new Option<string>("--write-model") { Description = "Write a copy of the -m model file with the statistics (and --scaling-factor) in its metadata" };
        var scaling = new Option<double>("--scaling-factor") { Description = "The scaling_factor recorded with --write-model", DefaultValueFactory = _ => 1.0 };
        var threads = CommonOptions.Threads();
        var command = new Command(name, "Per-channel mean and standard deviation (float64) of the latents of encoded shards or of a plan's clips, and the global std")
        {
            folder, output, model, writeModel, scaling, threads,
        };
        command.SetAction(r => ctx.Run(() =>
        {
            var input = r.GetValue(folder)!;
            var s = File.Exists(Path.Combine(input, DatasetPlan.FileName))
                ? PlanStatistics(ctx, input, r.GetValue(model) ?? throw new UsageException("statistics of a plan encode its clips: give the model with -m"), r.GetValue(threads))
                : LatentStatistics.Of(input, cancellationToken: CliCancellation.Current?.Token ?? default);
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Samples} samples, {s.ValuesPerChannel} values per channel"));
            for (var c = 0; c < s.Mean.Count; c++)
                ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"channel {c}: mean {s.Mean[c]:G6}, std {s.Std[c]:G6}"));
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"global std {s.GlobalStd:G6}"));
            if (r.GetValue(output) is { } path)
            {
                s.Save(path);
                ctx.Out.WriteLine($"-> {path}");
            }
            if (r.GetValue(writeModel) is { } target)
            {
                var source = BundledModels.ResolveName(r.GetValue(model) ?? throw new UsageException("--write-model copies the model file given with -m"));
                OutputGuard.Prepare(target, source);
                ModelStatistics.Write(source, target, s, r.GetValue(scaling));
                ctx.Out.WriteLine($"-> {target} (the model with latents_mean, latents_std and scaling_factor in its metadata)");
            }
            return ExitCode.Ok;
        }));
        return command;
    }

    // A plan's statistics: every shard encoded (posterior mean) into a temporary folder that is removed afterwards.
    private static LatentStatistics PlanStatistics(CliContext ctx, string planFolder, string model, int threads)
    {
        var plan = DatasetPlan.Load(planFolder);
        var work = Path.Combine(Path.GetTempPath(), $"tessera-stats-{Guid.NewGuid():N}");
        try
        {
            using var tokenizer = EncodeCommand.LoadTokenizer(ctx, model, null, CommonOptions.Tokenizer(ctx, 16, false, threads), false);
            if (tokenizer.Card.IsDiscrete) throw new InvalidInputException($"model '{tokenizer.Card.Name}' is discrete (token ids): its tokens have no channel statistics");
            var identity = new ShardModel(ModelName(model), null, null, null);
            for (var shard = 0; shard < plan.Shards; shard++)
                new ShardEncoder(plan, tokenizer, identity, 1000) { Progress = ctx.Progress, CheckCancelled = CliCancellation.ThrowIfCancelled }.Encode(shard, work);
            return LatentStatistics.Of(work);
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    private static Command ExportConfig(CliContext ctx)
    {
        var model = CommonOptions.Model(required: true);
        var output = new Option<string>("--output", "-o") { Description = "config.json to write", Required = true };
        var command = new Command("export-config", "Write a diffusers-shaped config.json for a model file: architecture fields, latents_mean, latents_std, scaling_factor, shift_factor")
        {
            model, output,
        };
        command.SetAction(r => ctx.Run(() =>
        {
            var target = r.GetValue(output)!;
            var source = BundledModels.ResolveName(r.GetValue(model)!);
            OutputGuard.Prepare(target, source);
            DiffusersConfig.Write(source, target);
            ctx.Out.WriteLine($"-> {target}");
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
            var s = DatasetMerger.Merge(folder, cancellationToken: CliCancellation.Current?.Token ?? default);
            var usage = string.Concat(s.CodebookUsage.Select(g => string.Create(CultureInfo.InvariantCulture, $", {g.Group}: {g.Used}/{g.CodebookSize} codes used")));
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Shards} shards verified: {s.Clips} clips, {s.Frames} frames, {(s.Kind == SampleRecord.LatentsKind ? $"{s.LatentValues} latent values" : $"{s.Tokens} tokens")}{usage}, {s.FailedClips} failed -> {Path.Combine(folder, DatasetSummary.IndexName)}, {Path.Combine(folder, DatasetSummary.FileName)}"));
            return ExitCode.Ok;
        }));
        return command;
    }
}
