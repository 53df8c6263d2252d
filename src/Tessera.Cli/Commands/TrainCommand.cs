using System.CommandLine;
using Tessera.Checkpoints.Hub;
using Tessera.Inference;
using Tessera.Metrics;
using Tessera.Models;
using Tessera.Training;
using Tessera.Training.Data;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera train</c> and <c>tessera finetune</c>: a model family's training recipe on a folder or manifest of videos.</summary>
internal static class TrainCommand
{
    private sealed class Shared
    {
        public Option<string> Data { get; } = new("--data", "-d") { Description = "Training videos: a folder or a CSV manifest (column 'videos', optional 'split')", Required = true };
        public Option<string> Split { get; } = new("--split") { Description = "Rows of the manifest's 'split' column to train on (e.g. train)" };
        public Option<string> EvalData { get; } = new("--eval-data") { Description = "Held-out videos for PSNR/SSIM during training (folder or manifest)" };
        public Option<string> EvalSplit { get; } = new("--eval-split") { Description = "Rows of the held-out manifest's 'split' column (e.g. eval)" };
        public Option<string> Output { get; } = new("--output", "-o") { Description = "Run directory (checkpoints, logs, loss plot)", Required = true };
        public Option<bool> Resume { get; } = new("--resume") { Description = "Continue the run in --output from its newest checkpoint" };
        public Option<long?> MaxSteps { get; } = new("--max-steps") { Description = "Iterations to train (overrides the config)" };
        public Option<int?> EvalEvery { get; } = new("--eval-every") { Description = "Held-out evaluation interval in iterations (overrides the config)" };
        public Option<string> LpipsWeights { get; } = new("--lpips-weights") { Description = "torchvision VGG16 weights for the perceptual loss (off without them)" };
        public Option<string> LpipsHeads { get; } = new("--lpips-heads") { Description = "LPIPS v0.1 linear heads (vgg.pth)" };
        public Option<int> Threads { get; } = CommonOptions.Threads();
        public Option<bool> Bf16 { get; } = new("--bf16") { Description = "Compute in bfloat16 with float32 master weights (overrides the config; faster on CPUs with AVX512-BF16/AMX, checked against float32 at start)" };
        public Option<bool> NoBf16 { get; } = new("--no-bf16") { Description = "Compute in float32 even if the config asks for bf16" };
        public Option<bool> Quiet { get; } = CommonOptions.Quiet();

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { Data, Split, EvalData, EvalSplit, Output, Resume, MaxSteps, EvalEvery, LpipsWeights, LpipsHeads, Threads, Bf16, NoBf16, Quiet }) c.Options.Add(o);
        }
    }

    public static Command CreateTrain(CliContext ctx)
    {
        var shared = new Shared();
        var config = new Option<string>("--config", "-c") { Description = "Training config: an official VidTok or SweetTok training YAML (plus an optional 'tessera:' section) or JSON", Required = true };
        var command = new Command("train", "Train a tokenizer (VidTok or SweetTok) with its reference recipe (resumable)") { config };
        shared.AddTo(command);
        command.SetAction(r => ctx.Run(r.GetValue(shared.Quiet), () =>
        {
            var cfg = TrainConfigYaml.Load(r.GetValue(config)!);
            return Run(ctx, cfg, shared, r);
        }));
        return command;
    }

    public static Command CreateFinetune(CliContext ctx)
    {
        var shared = new Shared();
        var from = new Option<string>("--from") { Description = "Weights to start from (the whole model, with a fresh optimiser): official .ckpt, Tessera model or training checkpoint, a bundled model's name, an official preset name (downloaded from the Hub) or hf:<owner>/<repo>[@revision]/<path>", Required = true };
        var config = new Option<string>("--config", "-c") { Description = "Training config (YAML/JSON); default: VidTok's recipe for the model in --from" };
        var model = new Option<string>("--model", "-m") { Description = "Model of --from when the file does not describe itself (preset or YAML)" };
        var stage2 = new Option<bool>("--stage2") { Description = "VidTok stage 2: freeze the encoder and fine-tune the decoder (latents stay compatible)" };
        var size = new Option<int?>("--size") { Description = "Clip size (square) to fine-tune at" };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default 1e-5)" };
        var command = new Command("finetune", "Fine-tune an official or Tessera checkpoint on your own videos") { from, config, model, stage2, size, lr };
        shared.AddTo(command);
        command.SetAction(r => ctx.Run(r.GetValue(shared.Quiet), () =>
        {
            var source = BundledModels.ResolveName(r.GetValue(from)!);
            // An official preset name or an hf: file starts from the Hub's weights (converted once); -m names an hf: checkpoint's model.
            if (HubFile.IsReference(source) || !File.Exists(source) && ModelFamilies.OfficialCheckpoint(source) is not null)
            {
                var resolved = HubFile.IsReference(source) && r.GetValue(model) is { } named
                    ? ModelArgument.Resolve(ctx, named, source, ema: false)
                    : ModelArgument.Resolve(ctx, source, null, ema: false);
                source = resolved.Weights ?? resolved.Model;
            }
            MissingModel.ThrowIfMissing(source);
            TrainConfig cfg;
            if (r.GetValue(config) is { } path) cfg = TrainConfigYaml.Load(path);
            else
            {
                var modelArg = r.GetValue(model) ?? source;
                var (modelConfig, _) = modelArg == source && source.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
                    ? (ModelFamilies.ReadConfig(source) ?? throw new ConfigException($"'{source}' does not record its model; pass --model"), (string?)null)
                    : ModelFamilies.Resolve(modelArg);
                cfg = new TrainConfig { Model = modelConfig };
            }
            cfg = cfg with
            {
                InitFrom = source,
                FixEncoder = cfg.FixEncoder || r.GetValue(stage2),
                LearningRate = r.GetValue(lr) ?? cfg.LearningRate,
                Clip = r.GetValue(size) is { } s ? cfg.Clip with { Size = s } : cfg.Clip,
            };
            return Run(ctx, cfg, shared, r);
        }));
        return command;
    }

    /// <summary>
    /// Whether training computes in bfloat16: --bf16 and --no-bf16 decide; a config's <c>bf16: true</c> holds only on a CPU
    /// with bfloat16 instructions, because elsewhere libtorch runs bfloat16 convolutions in slow reference kernels (a
    /// training step of the small bundled model took more than five times as long as in float32 on an AVX2-only EPYC).
    /// Returns the choice and, when the config's wish was set aside, why.
    /// </summary>
    internal static (bool Bf16, string? Why) ChooseBf16(bool configAsks, bool forceOn, bool forceOff, bool? nativeBf16)
    {
        if (forceOn) return (true, null);
        if (forceOff || !configAsks) return (false, null);
        if (nativeBf16 == false)
            return (false, "the config asks for bf16, but this CPU has no bfloat16 instructions (libtorch would emulate them, " +
                           "many times slower than float32): training in float32; pass --bf16 to use bf16 anyway");
        return (true, null);
    }

    private static ExitCode Run(CliContext ctx, TrainConfig config, Shared o, ParseResult r)
    {
        var output = r.GetValue(o.Output)!;
        var store = new CheckpointStore(output);
        if (store.Latest() is { } latest && !r.GetValue(o.Resume))
            throw new UsageException($"run directory '{output}' already has checkpoints (newest {Path.GetFileName(latest)}); pass --resume to continue it or choose another --output");
        if (r.GetValue(o.Resume) && store.Latest() is null)
            ctx.Progress($"--resume: '{output}' has no checkpoint yet; starting from step 0");
        if (r.GetValue(o.MaxSteps) is { } steps) config = config with { MaxSteps = steps };
        if (r.GetValue(o.EvalEvery) is { } every) config = config with { EvalEvery = every };
        if (r.GetValue(o.Bf16) && r.GetValue(o.NoBf16)) throw new UsageException("--bf16 and --no-bf16 contradict each other; pass one");
        var (bf16, why) = ChooseBf16(config.Bf16, r.GetValue(o.Bf16), r.GetValue(o.NoBf16), CpuInfo.HasNativeBf16);
        config = config with { Bf16 = bf16 };
        if (why is not null) ctx.Error.WriteLine($"note: {why}");
        if (r.GetValue(o.Threads) is > 0 and var threads) TorchSharp.torch.set_num_threads(threads);

        VideoInputs.RequireSome(r.GetValue(o.Data)!, r.GetValue(o.Split));
        if (r.GetValue(o.EvalData) is { } heldOut) VideoInputs.RequireSome(heldOut, r.GetValue(o.EvalSplit));
        var train = VideoDataset.Load(r.GetValue(o.Data)!, r.GetValue(o.Split));
        foreach (var (path, reason) in train.Skipped) ctx.Error.WriteLine($"warning: skipping {path}: {reason}");
        VideoDataset? eval = r.GetValue(o.EvalData) is { } evalPath ? VideoDataset.Load(evalPath, r.GetValue(o.EvalSplit)) : null;

        using var lpips = LoadPerceptual(ctx, config, r.GetValue(o.LpipsWeights), r.GetValue(o.LpipsHeads));
        if (lpips is null && config.Loss.PerceptualWeight > 0)
            ctx.Error.WriteLine("warning: no LPIPS weights (--lpips-weights, --lpips-heads): training without the perceptual loss");

        ctx.Progress($"training {config.Model.Name} ({ModelFamilies.Of(config.Model).DescribeForTraining(config.Model)}) on {train.Videos.Count} videos: " +
                     $"{config.Clip.Frames} frames at {config.Clip.Fps:0.##} fps, {config.Clip.Size}x{config.Clip.Size}, batch {config.BatchSize}, {config.MaxSteps} steps, {(config.Bf16 ? "bf16" : "float32")}");
        using var trainer = new Trainer(config, output, train, eval, lpips is null ? null : lpips.Loss, ctx.Progress);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(CliCancellation.Current?.Token ?? default);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); ctx.Progress("stopping after this step (the last checkpoint stays valid)"); };
        Console.CancelKeyPress += onCancel;   // process-wide: removed again when this run ends
        try
        {
            trainer.Run(ctx.Quiet ? null : new TrainingProgressLine(ctx.Error, config.LogEvery), cancel.Token);
        }
        catch (OperationCanceledException) when (CliCancellation.Current is not { Token.IsCancellationRequested: true })
        {
            // train's own Ctrl-C handler: a graceful stop, the newest checkpoint is the last complete one.
            ctx.Out.WriteLine($"stopped at step {trainer.Step}; checkpoints in {store.Directory} (resume with --resume)");
            return ExitCode.Ok;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        ctx.Out.WriteLine($"trained to step {trainer.Step}; checkpoints in {store.Directory}, log {Path.Combine(output, "train_log.csv")}");
        return ExitCode.Ok;
    }

    private static Lpips? LoadPerceptual(CliContext ctx, TrainConfig config, string? weights, string? heads)
    {
        if (config.Loss.PerceptualWeight <= 0 || weights is null) return null;
        if (heads is null) throw new UsageException("--lpips-weights needs --lpips-heads (the LPIPS v0.1 vgg.pth heads)");
        ctx.Progress($"perceptual loss: LPIPS VGG16 from {weights} and {heads}");
        return Lpips.Load(LpipsBackbone.Vgg16, weights, heads);
    }
}

/// <summary>One progress line per logged step: loss, speed and ETA.</summary>
internal sealed class TrainingProgressLine(TextWriter writer, int every) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress p)
    {
        if (p.Step % every != 0 && p.Step != p.MaxSteps) return;
        var eta = p.StepsPerSecond > 0 ? TimeSpan.FromSeconds((p.MaxSteps - p.Step) / p.StepsPerSecond) : TimeSpan.Zero;
        writer.WriteLine($"step {p.Step}/{p.MaxSteps}  loss {p.Loss:0.0000}  {1 / Math.Max(p.StepsPerSecond, 1e-9):0.00} s/step  ETA {eta:hh\\:mm\\:ss}");
    }
}
