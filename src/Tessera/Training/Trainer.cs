using Tessera.Models;
using Tessera.Training.Data;
using static TorchSharp.torch;

namespace Tessera.Training;

/// <summary>
/// The family-neutral training loop: clips from the data pipeline, one iteration of the model family's objective
/// (<see cref="ITrainingObjective"/>: its losses, optimiser steps, clipping and EMA) per step, periodic held-out
/// PSNR/SSIM, the training log and loss plot, and atomic checkpoints. A run directory resumes from its newest
/// checkpoint exactly where it stopped.
/// </summary>
public sealed partial class Trainer : IDisposable
{
    private readonly TrainConfig config;
    private readonly string runDirectory;
    private readonly ITrainingObjective objective;
    private readonly VideoDataset train;
    private readonly EvalSet? eval;
    private readonly CheckpointStore store;
    private readonly Action<string> report;

    /// <param name="perceptual">LPIPS distance per frame (x, x̂ [N,3,H,W] → [N]) or null to train without the perceptual term.</param>
    /// <param name="config">The run settings; validated here.</param>
    /// <param name="runDirectory">Where checkpoints and logs go (created when missing); a run there resumes from its newest checkpoint.</param>
    /// <param name="train">The training videos.</param>
    /// <param name="evalData">Held-out videos for <see cref="Evaluate"/> and the periodic evaluation; null for none.</param>
    /// <param name="report">Receives progress and warning lines; null for none.</param>
    /// <exception cref="ConfigException">The settings are invalid, or the model does not take <see cref="ClipSpec.Frames"/> frames.</exception>
    public Trainer(TrainConfig config, string runDirectory, VideoDataset train, VideoDataset? evalData,
        Func<Tensor, Tensor, Tensor>? perceptual = null, Action<string>? report = null)
    {
        config.Validate();
        if (!ModelFamilies.Of(config.Model).AcceptsTrainingFrames(config))
            throw new ConfigException($"model '{config.Model.Name}' takes {Inference.FrameRules.Describe(config.Model)}; clip frames is {config.Clip.Frames}");
        this.config = config;
        this.runDirectory = runDirectory;
        this.train = train;
        this.report = report ?? (_ => { });
        Directory.CreateDirectory(runDirectory);
        store = new CheckpointStore(runDirectory, config.KeepCheckpoints);
        objective = ModelFamilies.Of(config.Model).CreateTrainingObjective(
            new TrainingContext(config, perceptual, this.report, new TrainingGuard(store, config.LearningRate)));
        eval = evalData is null ? null : new EvalSet(evalData, config.Clip with { RandomCrop = false }, config.EvalClips);
    }

    /// <summary>The trained model (float32 master weights).</summary>
    internal TokenizerModel Model => objective.Model;

    /// <summary>Whether the passes run on a bfloat16 working copy (false when bf16 was off or refused by the self-check).</summary>
    public bool Bf16Active => objective.ReducedPrecision;

    /// <summary>Iterations completed (restored from the newest checkpoint on <see cref="Run"/>).</summary>
    public long Step { get; private set; }

    /// <summary>
    /// Trains until <see cref="TrainConfig.MaxSteps"/>, resuming from the newest checkpoint in the run directory when there
    /// is one. Writes a checkpoint every <see cref="TrainConfig.CheckpointEvery"/> iterations and at the end, each atomically.
    /// <paramref name="progress"/> gets one report per iteration, on the calling thread. <paramref name="cancellationToken"/>
    /// is checked between iterations and between held-out clips: a cancelled run finishes the iteration in progress, writes
    /// nothing more and throws <see cref="OperationCanceledException"/>; the newest checkpoint is then the last complete one,
    /// and a later <see cref="Run"/> resumes from it.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="TrainingDivergedException">The losses stayed non-finite past the guard's patience.</exception>
    public void Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var dataPosition = Resume();
        var log = new TrainingLog(Path.Combine(runDirectory, "train_log.csv"), objective.LogColumns, Step);
        var evalLog = new TrainingLog(Path.Combine(runDirectory, "eval_log.csv"), ["psnr", "ssim", "chroma"], Step);
        using var loader = new ClipLoader(train, config.Clip, config.Seed, config.BatchSize, dataPosition, config.Prefetch, report);
        if (eval is not null && Step == 0)
        {
            // The starting point's held-out quality, so a run (or a fine-tune) shows what it changed.
            LogHeldOut(evalLog, EvaluateHeldOut(cancellationToken));
        }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var startStep = Step;
        while (Step < config.MaxSteps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stepWatch = System.Diagnostics.Stopwatch.StartNew();
            using (var batch = loader.Next())
            {
                var values = objective.Step(batch, Step);
                Step++;
                values["sec_per_step"] = stepWatch.Elapsed.TotalSeconds;
                if (Step % config.LogEvery == 0 || Step == config.MaxSteps) log.Append(Step, values);
                progress?.Report(new TrainingProgress(Step, config.MaxSteps, values.GetValueOrDefault("total"),
                    (Step - startStep) / watch.Elapsed.TotalSeconds));
            }
            if (eval is not null && Step % config.EvalEvery == 0)
            {
                LogHeldOut(evalLog, EvaluateHeldOut(cancellationToken));
            }
            if (Step % config.CheckpointEvery == 0 || Step == config.MaxSteps)
            {
                SaveCheckpoint(loader.Position);
                LossPlot.Write(Path.Combine(runDirectory, "loss.png"), log.Read(), evalLog.Read());
            }
        }
    }

    private void LogHeldOut(TrainingLog evalLog, HeldOutQuality q)
    {
        evalLog.Append(Step, new Dictionary<string, double?> { ["psnr"] = q.Psnr, ["ssim"] = q.Ssim, ["chroma"] = q.Chroma });
        report($"step {Step}: held-out PSNR {q.Psnr:0.00} dB, SSIM {q.Ssim:0.0000}, chroma kept {q.Chroma:P0}");
    }

    /// <summary>Frees the model, optimiser state and held-out clips; the run directory is kept.</summary>
    public void Dispose()
    {
        eval?.Dispose();
        objective.Dispose();
    }
}

/// <summary>Where a run is: iterations done of the total, the last total loss, iterations per second.</summary>
/// <param name="Step">Iterations completed.</param>
/// <param name="MaxSteps"><see cref="TrainConfig.MaxSteps"/>.</param>
/// <param name="Loss">The last iteration's total loss, when the objective reports one.</param>
/// <param name="StepsPerSecond">Iterations per second since this <see cref="Trainer.Run"/> call began.</param>
public readonly record struct TrainingProgress(long Step, long MaxSteps, double? Loss, double StepsPerSecond);
