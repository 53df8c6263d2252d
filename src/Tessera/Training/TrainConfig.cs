using Tessera.Models;
using Tessera.Training.Data;

namespace Tessera.Training;

/// <summary>
/// Everything a training run needs besides the data: the model, the autoencoder/GAN loss and FSQ settings, the
/// optimisation (learning rate, gradient clipping, optional EMA), the run's schedule, and settings only the
/// model's family reads (<see cref="Family"/>). Defaults are VidTok's (lr 1e-5, 17 frames at 3 fps, seed 23).
/// </summary>
public sealed record TrainConfig
{
    /// <summary>The model to train (a preset's or a config file's).</summary>
    public required ModelConfig Model { get; init; }
    /// <summary>Reconstruction, perceptual and GAN loss settings.</summary>
    public LossConfig Loss { get; init; } = new();
    /// <summary>FSQ entropy and commitment terms (FSQ models only).</summary>
    public FsqAuxLossOptions FsqAux { get; init; } = new();
    /// <summary>What one training clip is.</summary>
    public ClipSpec Clip { get; init; } = new();
    /// <summary>Clips per step.</summary>
    public int BatchSize { get; init; } = 1;
    /// <summary>Adam learning rate of the autoencoder and the discriminator.</summary>
    public double LearningRate { get; init; } = 1e-5;
    /// <summary>Global gradient-norm clip.</summary>
    public double GradClip { get; init; } = 20.0;

    /// <summary>LitEma decay of shadow weights; null trains without EMA.</summary>
    public double? EmaDecay { get; init; }

    /// <summary>Iterations (each one autoencoder and one discriminator step).</summary>
    public long MaxSteps { get; init; } = 1000;
    /// <summary>Seed of initialisation, clip sampling and losses; one seed gives one run.</summary>
    public int Seed { get; init; } = 23;

    /// <summary>Stage 2 of VidTok's recipe: the encoder is frozen (and run without gradients), so latents stay compatible.</summary>
    public bool FixEncoder { get; init; }
    /// <summary>The decoder is frozen; only the encoder (and bottleneck) train.</summary>
    public bool FixDecoder { get; init; }

    /// <summary>
    /// Run the autoencoder's forward and backward passes in bfloat16 on a working copy of the model, keeping
    /// float32 master weights, optimiser state and EMA (the quantiser, the losses and the discriminator stay
    /// float32). The CPU analogue of the reference's bf16-mixed precision; about 2.5x faster per step here.
    /// </summary>
    public bool Bf16 { get; init; }

    /// <summary>Weights to start from (official .ckpt, Tessera model or training checkpoint); null starts from scratch.</summary>
    public string? InitFrom { get; init; }

    /// <summary>
    /// Skip the discriminator entirely until disc_start. The reference still runs it with a zero factor (which
    /// only moves the LeCam averages and costs a discriminator pass and two gradient norms per step); skipping
    /// makes CPU warm-up much cheaper and leaves the autoencoder's updates unchanged.
    /// </summary>
    public bool SkipDiscriminatorBeforeStart { get; init; }

    /// <summary>Iterations between rows of <c>train_log.csv</c>.</summary>
    public int LogEvery { get; init; } = 10;
    /// <summary>Iterations between held-out evaluations (<c>eval_log.csv</c>).</summary>
    public int EvalEvery { get; init; } = 500;
    /// <summary>Held-out clips per evaluation.</summary>
    public int EvalClips { get; init; } = 8;
    /// <summary>Iterations between checkpoints.</summary>
    public int CheckpointEvery { get; init; } = 200;
    /// <summary>Newest checkpoints kept in the run directory; older ones are deleted.</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>
    /// Batches decoded ahead on background threads; 0 (the default) decodes each batch on the training thread. Decoding
    /// ahead hides FFmpeg's time but lets the decoding thread start garbage collections while a step runs in libtorch,
    /// and TorchSharp frees some of its own temporaries in finalizers that such a collection can run mid-call (a
    /// long run crashed at step 10 with a freed scalar this way); a thread of its own never collects inside its calls.
    /// </summary>
    public int Prefetch { get; init; }

    /// <summary>Settings only the model's family reads (e.g. a curriculum stage); null for none.</summary>
    public FamilyTrainingOptions? Family { get; init; }

    /// <summary>Checks the settings and the family's constraints.</summary>
    /// <exception cref="ConfigException">A setting is out of range or the family refuses the combination.</exception>
    public void Validate()
    {
        if (BatchSize <= 0) throw new ConfigException($"batch size must be positive, got {BatchSize}");
        if (LearningRate <= 0) throw new ConfigException($"learning rate must be positive, got {LearningRate}");
        if (MaxSteps <= 0) throw new ConfigException($"max_steps must be positive, got {MaxSteps}");
        if (Clip.Frames <= 0 || Clip.Size <= 0 || Clip.Fps <= 0) throw new ConfigException($"clip needs positive frames, size and fps, got {Clip}");
        if (Prefetch < 0) throw new ConfigException($"prefetch must be 0 (decode on the training thread) or more, got {Prefetch}");
        if (Clip.MaxScale is < 1 or double.NaN or double.PositiveInfinity) throw new ConfigException($"max_scale must be a finite number >= 1 (1: the short side resized to the clip size), got {Clip.MaxScale}");
        if (Clip.RandomHue is < 0 or > 1 or double.NaN) throw new ConfigException($"random_hue is a probability in [0, 1], got {Clip.RandomHue}");
        if (Loss.ColourWeight is < 0 or double.NaN or double.PositiveInfinity) throw new ConfigException($"colour_weight must be a finite number >= 0, got {Loss.ColourWeight}");
        if (Loss.ChromaWeight is < 0 or double.NaN or double.PositiveInfinity) throw new ConfigException($"chroma_weight must be a finite number >= 0, got {Loss.ChromaWeight}");
        if (FixEncoder && FixDecoder) throw new ConfigException("fix_encoder and fix_decoder together leave nothing to train");
        if (EmaDecay is <= 0 or >= 1) throw new ConfigException($"ema_decay must lie in (0, 1), got {EmaDecay}");
        if (LogEvery <= 0 || EvalEvery <= 0 || CheckpointEvery <= 0 || KeepCheckpoints <= 0)
            throw new ConfigException("log_every, eval_every, checkpoint_every and keep_checkpoints must be positive");
        ModelFamilies.Of(Model).ValidateTraining(this);
    }
}
