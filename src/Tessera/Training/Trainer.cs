using Tessera.Models.VidTok;
using TorchSharp;
using Tessera.Quantizers;
using Tessera.Training.Data;
using Tessera.Training.Optim;
using TorchSharp.Modules;
using Adam = Tessera.Training.Optim.Adam;
using static TorchSharp.torch;

namespace Tessera.Training;

/// <summary>
/// Trains a VidTok model with the reference recipe: per iteration one autoencoder step (L1 + perceptual with
/// learned log-variance, adaptive adversarial term, FSQ aux or KL loss; gradients clipped to 20; Adam) and one
/// discriminator step (hinge + LeCam; clipped; Adam), optional EMA, periodic held-out evaluation and atomic
/// checkpoints. A run directory resumes from its newest checkpoint exactly where it stopped.
/// </summary>
public sealed partial class Trainer : IDisposable
{
    private static readonly string[] TrainingStatePrefixes = ["loss.", "model_ema.", "optimizer.", "rng."];

    private readonly TrainConfig config;
    private readonly string runDirectory;
    private readonly VidTokModel model;
    private VidTokModel? work;
    private readonly VidTokLoss loss;
    private readonly FsqAuxLoss? fsqAux;
    private readonly Adam optG;
    private readonly Adam optD;
    private readonly Ema? ema;
    private readonly Generator klNoise;
    private readonly VideoDataset train;
    private readonly EvalSet? eval;
    private readonly CheckpointStore store;
    private readonly Action<string> report;
    private readonly List<(string Name, Parameter Param)> modelParameters;

    /// <param name="perceptual">LPIPS distance per frame (x, x̂ [N,3,H,W] → [N]) or null to train without the perceptual term.</param>
    public Trainer(TrainConfig config, string runDirectory, VideoDataset train, VideoDataset? evalData,
        Func<Tensor, Tensor, Tensor>? perceptual = null, Action<string>? report = null)
    {
        config.Validate();
        if (!Inference.FrameRules.Accepts(config.Model, config.Clip.Frames))
            throw new ConfigException($"model '{config.Model.Name}' takes {Inference.FrameRules.Describe(config.Model)}; clip frames is {config.Clip.Frames}");
        this.config = config;
        this.runDirectory = runDirectory;
        this.train = train;
        this.report = report ?? (_ => { });
        Directory.CreateDirectory(runDirectory);
        store = new CheckpointStore(runDirectory, config.KeepCheckpoints);

        // Initial weights from the run's own generator: the global one is shared by every thread of the process.
        using (var seeded = new Generator((ulong)config.Seed))
        using (Nn.InitRandom.Use(seeded))
            model = new VidTokModel(config.Model);
        if (config.InitFrom is { } init)
        {
            this.report($"initialising from {init}");
            VidTokWeights.Load(model, init);
        }
        foreach (var (name, p) in model.named_parameters())
            p.requires_grad = !(config.FixEncoder && name.StartsWith("encoder.", StringComparison.Ordinal))
                           && !(config.FixDecoder && name.StartsWith("decoder.", StringComparison.Ordinal));
        modelParameters = model.named_parameters().Where(p => p.parameter.requires_grad)
            .Select(p => ("model." + p.name, p.parameter)).ToList();
        if (config.Bf16)
        {
            using (var scratch = new Generator(0))
            using (Nn.InitRandom.Use(scratch))
                work = new VidTokModel(config.Model);   // its weights are overwritten from the master's every step
            work.to(ScalarType.BFloat16);
            var trainable = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad);
            foreach (var (name, p) in work.named_parameters()) p.requires_grad = trainable[name];
            var check = CheckBf16(model, work, new ClipShape(config.Clip.Frames, config.Clip.Size));
            var native = CpuInfo.HasNativeBf16 switch { true => "native bfloat16 instructions", false => "no native bfloat16 instructions (emulated, may be slower than float32)", null => "bfloat16 support unknown" };
            if (check.Passed)
                this.report($"bf16: working copy in bfloat16 on {CpuInfo.Model} ({native}); self-check against float32: reconstruction {check.ReconstructionError:P2}, gradients {check.GradientError:P2} (relative L2)");
            else
            {
                this.report($"warning: bf16 refused on {CpuInfo.Model} ({native}): {check.Failure}; training in float32 instead (pass --no-bf16 to skip this check)");
                work.Dispose();
                work = null;
            }
        }

        loss = new VidTokLoss(config.Loss, perceptual, new Generator((ulong)config.Seed + 1));
        if (model.Fsq is { } fsq) fsqAux = new FsqAuxLoss(fsq, config.FsqAux);
        var gParams = modelParameters.Concat(loss.AutoencoderParameters().Select(p => ("loss." + p.Name, p.Param))).ToList();
        optG = new Adam(gParams, config.LearningRate);
        optD = new Adam(loss.DiscriminatorParameters().Select(p => ("loss." + p.Name, p.Param)), config.LearningRate);
        if (config.EmaDecay is { } decay) ema = new Ema(model.named_parameters().Where(p => p.parameter.requires_grad), (float)decay);
        klNoise = new Generator((ulong)config.Seed + 2);
        eval = evalData is null ? null : new EvalSet(evalData, config.Clip with { RandomCrop = false }, config.EvalClips);
    }

    public VidTokModel Model => model;

    /// <summary>Iterations completed (restored from the newest checkpoint on <see cref="Run"/>).</summary>
    public long Step { get; private set; }

    /// <summary>
    /// Trains until <see cref="TrainConfig.MaxSteps"/> or cancellation, resuming from the newest checkpoint in the run
    /// directory when there is one. Writes a checkpoint every <see cref="TrainConfig.CheckpointEvery"/> iterations and at the end.
    /// </summary>
    public void Run(CancellationToken cancel = default, IProgress<TrainingProgress>? progress = null)
    {
        var dataPosition = Resume();
        var log = new TrainingLog(Path.Combine(runDirectory, "train_log.csv"), StepLog.Columns, Step);
        var evalLog = new TrainingLog(Path.Combine(runDirectory, "eval_log.csv"), ["psnr", "ssim"], Step);
        using var loader = new ClipLoader(train, config.Clip, config.Seed, config.BatchSize, dataPosition, config.Prefetch, report);
        if (eval is not null && Step == 0)
        {
            // The starting point's held-out quality, so a run (or a fine-tune) shows what it changed.
            var (psnr0, ssim0) = Evaluate();
            evalLog.Append(0, new Dictionary<string, double?> { ["psnr"] = psnr0, ["ssim"] = ssim0 });
            report($"step 0: held-out PSNR {psnr0:0.00} dB, SSIM {ssim0:0.0000}");
        }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var startStep = Step;
        while (Step < config.MaxSteps && !cancel.IsCancellationRequested)
        {
            var stepWatch = System.Diagnostics.Stopwatch.StartNew();
            using (var batch = loader.Next())
            {
                var values = TrainStep(batch);
                Step++;
                values["sec_per_step"] = stepWatch.Elapsed.TotalSeconds;
                if (Step % config.LogEvery == 0 || Step == config.MaxSteps) log.Append(Step, values);
                progress?.Report(new TrainingProgress(Step, config.MaxSteps, values.GetValueOrDefault("total"),
                    (Step - startStep) / watch.Elapsed.TotalSeconds));
            }
            if (eval is not null && Step % config.EvalEvery == 0)
            {
                var (psnr, ssim) = Evaluate();
                evalLog.Append(Step, new Dictionary<string, double?> { ["psnr"] = psnr, ["ssim"] = ssim });
                report($"step {Step}: held-out PSNR {psnr:0.00} dB, SSIM {ssim:0.0000}");
            }
            if (Step % config.CheckpointEvery == 0 || Step == config.MaxSteps)
            {
                SaveCheckpoint(loader.Position);
                LossPlot.Write(Path.Combine(runDirectory, "loss.png"), log.Read(), evalLog.Read());
            }
        }
    }

    public void Dispose()
    {
        optG.Dispose();
        optD.Dispose();
        ema?.Dispose();
        eval?.Dispose();
        loss.Dispose();
        work?.Dispose();
        model.Dispose();
    }
}

/// <summary>Where a run is: iterations done of the total, the last total loss, iterations per second.</summary>
public readonly record struct TrainingProgress(long Step, long MaxSteps, double? Loss, double StepsPerSecond);
