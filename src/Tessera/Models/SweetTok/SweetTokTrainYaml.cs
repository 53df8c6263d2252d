using System.Globalization;
using Tessera.Configs;
using Tessera.Training;

namespace Tessera.Models.SweetTok;

/// <summary>
/// Reads a SweetTok training configuration: the official stage YAML (<c>experiment</c>, <c>losses</c>,
/// <c>optimizer</c>, <c>lr_scheduler</c>, <c>training</c>, where they apply; the model from <c>model.vq_model</c>
/// via <see cref="SweetTokYaml"/>) plus the <c>tessera:</c> section, which holds the model sizes and these
/// training keys (<see cref="TrainingKeys"/>): the proxy, the priors, steps, batch, clip rate and CPU-sized schedules.
/// </summary>
internal static class SweetTokTrainYaml
{
    /// <summary>The <c>tessera:</c> keys that configure training rather than the model.</summary>
    public static readonly IReadOnlySet<string> TrainingKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "stage", "proxy", "spatial_prior", "temporal_prior", "quantizer_weight", "ce_chunk", "max_steps", "batch_size",
        "learning_rate", "end_lr", "warmup_steps", "grad_clip", "fps", "seed", "ema_decay", "init_from", "log_every",
        "eval_every", "eval_clips", "checkpoint_every", "keep_checkpoints", "prefetch",
        "disc_start", "disc_channels", "perceptual_weight", "codebook",
    };

    public static TrainConfig Load(string path)
    {
        var doc = ConfigDocument.Load(path);
        var model = SweetTokYaml.Load(path);
        var options = new SweetTokTrainingOptions();
        var config = new TrainConfig
        {
            Model = model,
            Clip = new Tessera.Training.Data.ClipSpec { Frames = model.Frames, Size = model.ImageSize, Fps = 8 },
            LearningRate = 5e-5,
            GradClip = 1.0,
            Seed = 42,
        };

        if (doc.TryResolve("experiment") is ConfigMapping experiment)
        {
            options = options with { Stage = experiment.GetInt("train_stage", options.Stage) };
            config = config with
            {
                CheckpointEvery = (int)(Long(experiment.FindNonNull("save_every")) ?? config.CheckpointEvery),
                EvalEvery = (int)(Long(experiment.FindNonNull("eval_every")) ?? config.EvalEvery),
                LogEvery = (int)(Long(experiment.FindNonNull("log_every")) ?? config.LogEvery),
                InitFrom = experiment.FindNonNull("init_weight")?.AsString() is { Length: > 0 } init ? init : null,
            };
        }
        if (doc.TryResolve("losses") is ConfigMapping losses)
            options = options with
            {
                QuantizerWeight = losses.GetDouble("quantizer_weight", options.QuantizerWeight),
                ReconstructionWeight = losses.GetDouble("reconstruction_weight", options.ReconstructionWeight),
                PerceptualWeight = losses.GetDouble("perceptual_weight", options.PerceptualWeight),
                DiscriminatorStart = Long(losses.FindNonNull("discriminator_start")) ?? options.DiscriminatorStart,
                DiscriminatorWeight = losses.GetDouble("discriminator_weight", options.DiscriminatorWeight),
                LeCamWeight = losses.GetDouble("lecam_regularization_weight", options.LeCamWeight),
            };
        if (doc.TryResolve("optimizer.params") is ConfigMapping opt)
        {
            config = config with { LearningRate = opt.GetDouble("learning_rate", config.LearningRate) };
            options = options with
            {
                DiscriminatorLearningRate = opt.GetDouble("discriminator_learning_rate", options.DiscriminatorLearningRate),
                Beta1 = opt.GetDouble("beta1", options.Beta1),
                Beta2 = opt.GetDouble("beta2", options.Beta2),
                WeightDecay = opt.GetDouble("weight_decay", options.WeightDecay),
                Epsilon = opt.GetDouble("epsilon", options.Epsilon),
            };
        }
        if (doc.TryResolve("lr_scheduler.params") is ConfigMapping sched)
            options = options with
            {
                WarmupSteps = Long(sched.FindNonNull("warmup_steps")) ?? options.WarmupSteps,
                EndLearningRate = sched.GetDouble("end_lr", options.EndLearningRate),
            };
        if (doc.TryResolve("training") is ConfigMapping training)
            config = config with
            {
                BatchSize = training.GetInt("per_gpu_batch_size", config.BatchSize),
                EmaDecay = training.GetBool("use_ema", false) ? 0.999 : null,
                Seed = training.GetInt("seed", config.Seed),
                MaxSteps = Long(training.FindNonNull("max_train_steps")) ?? config.MaxSteps,
                GradClip = training.GetDouble("max_grad_norm", config.GradClip),
            };

        if (doc.TryResolve(SweetTokYaml.SectionName) is ConfigMapping t)
        {
            options = options with
            {
                Stage = t.GetInt("stage", options.Stage),
                Proxy = t.FindNonNull("proxy")?.AsString() ?? options.Proxy,
                SpatialPrior = t.FindNonNull("spatial_prior")?.AsString() ?? options.SpatialPrior,
                TemporalPrior = t.FindNonNull("temporal_prior")?.AsString() ?? options.TemporalPrior,
                QuantizerWeight = t.GetDouble("quantizer_weight", options.QuantizerWeight),
                CrossEntropyChunk = t.GetInt("ce_chunk", options.CrossEntropyChunk),
                EndLearningRate = t.GetDouble("end_lr", options.EndLearningRate),
                WarmupSteps = Long(t.FindNonNull("warmup_steps")) ?? options.WarmupSteps,
                DiscriminatorStart = Long(t.FindNonNull("disc_start")) ?? options.DiscriminatorStart,
                DiscriminatorChannels = t.GetInt("disc_channels", options.DiscriminatorChannels),
                PerceptualWeight = t.GetDouble("perceptual_weight", options.PerceptualWeight),
                LearnedCodebook = t.FindNonNull("codebook")?.AsString() switch
                {
                    null or "language" => false,
                    "learned" => true,
                    var other => throw new ConfigException($"{path}: tessera.codebook must be 'language' (the GCN-refined word embeddings) or 'learned' (the plain-codebook ablation), got '{other}'"),
                },
            };
            config = config with
            {
                MaxSteps = Long(t.FindNonNull("max_steps")) ?? config.MaxSteps,
                BatchSize = t.GetInt("batch_size", config.BatchSize),
                LearningRate = t.GetDouble("learning_rate", config.LearningRate),
                GradClip = t.GetDouble("grad_clip", config.GradClip),
                Clip = config.Clip with { Fps = t.GetDouble("fps", config.Clip.Fps) },
                Seed = t.GetInt("seed", config.Seed),
                EmaDecay = t.FindNonNull("ema_decay")?.AsDouble() ?? config.EmaDecay,
                InitFrom = t.FindNonNull("init_from")?.AsString() ?? config.InitFrom,
                LogEvery = t.GetInt("log_every", config.LogEvery),
                EvalEvery = t.GetInt("eval_every", config.EvalEvery),
                EvalClips = t.GetInt("eval_clips", config.EvalClips),
                CheckpointEvery = t.GetInt("checkpoint_every", config.CheckpointEvery),
                KeepCheckpoints = t.GetInt("keep_checkpoints", config.KeepCheckpoints),
                Prefetch = t.GetInt("prefetch", config.Prefetch),
            };
        }
        // Stage 0 pre-trains the spatial branch on single frames; the perceptual distance is loaded only for stage 2
        // (stages 0 and 1 have no pixel loss).
        if (options.Stage == 0) config = config with { Clip = config.Clip with { Frames = 1 } };
        config = config with { Family = options, Loss = new LossConfig { PerceptualWeight = options.Stage == 2 ? options.PerceptualWeight : 0 } };
        try
        {
            config.Validate();
        }
        catch (ConfigException e)
        {
            throw new ConfigException($"{path}: {e.Message}", e);
        }
        return config;
    }

    // Integers as the official files write them (150_000 as well as 150000).
    private static long? Long(ConfigNode? node) => node switch
    {
        null => null,
        ConfigScalar s when long.TryParse(s.Text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) => v,
        _ => node.AsLong(),
    };
}
