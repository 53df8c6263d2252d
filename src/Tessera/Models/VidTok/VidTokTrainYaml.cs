using Tessera.Configs;
using Tessera.Training;
using Tessera.Training.Data;

namespace Tessera.Models.VidTok;

/// <summary>
/// Reads a VidTok training configuration: an official VidTok training YAML (its model, regularizer, loss, data and
/// lightning sections, where they apply) plus an optional <c>tessera:</c> section for what the official files
/// do not say or leave as placeholders (clip size, steps, evaluation, EMA). JSON works too (it is YAML).
/// </summary>
internal static class VidTokTrainYaml
{
    private static readonly HashSet<string> TesseraKeys =
    [
        "max_steps", "batch_size", "learning_rate", "frames", "fps", "size", "seed", "ema_decay", "fix_encoder", "fix_decoder",
        "init_from", "log_every", "eval_every", "eval_clips", "checkpoint_every", "keep_checkpoints", "prefetch",
        "disc_start", "perceptual_weight", "colour_weight", "chroma_weight", "skip_discriminator_before_start", "bf16", "random_flip", "random_hue", "max_scale", "lr_decay_start", "end_lr",
    ];

    public static TrainConfig Load(string path)
    {
        var doc = ConfigDocument.Load(path);
        var model = VidTokYaml.Load(path);
        var engine = doc.Resolve("model").AsMapping();
        var engineParams = engine.GetMapping("params");
        var encoderParams = doc.Resolve("model.params.encoder_config.params").AsMapping();

        var config = new TrainConfig
        {
            Model = model,
            LearningRate = engine.GetDouble("base_learning_rate", 1e-5),
            EmaDecay = engineParams.FindNonNull("ema_decay")?.AsDouble(),
            FixEncoder = encoderParams.GetBool("fix_encoder", false),
            FixDecoder = encoderParams.GetBool("fix_decoder", false),
            InitFrom = engineParams.FindNonNull("ckpt_path")?.AsString(),
            Loss = ReadLoss(doc.TryResolve("model.params.loss_config") as ConfigMapping),
            FsqAux = ReadFsq(doc.TryResolve("model.params.regularizer_config") as ConfigMapping),
        };
        config = ReadData(doc, config);
        config = ReadLightning(doc, config);
        if (doc.TryResolve("tessera") is ConfigMapping t) config = ReadTessera(t, config);
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

    private static LossConfig ReadLoss(ConfigMapping? section)
    {
        var loss = new LossConfig();
        if (section?.FindNonNull("params") is not ConfigMapping p) return loss;
        var regularization = p.FindNonNull("regularization_weights") is ConfigMapping w
            ? w.Keys.ToDictionary(k => k, k => w.GetDouble(k))
            : new Dictionary<string, double>();
        // Keys absent from an official loss section take GeneralLPIPSWithDiscriminator's own defaults.
        var discType = p.GetString("disc_type", "3d");
        var discLoss = p.GetString("disc_loss", "hinge");
        return loss with
        {
            DiscStart = p.Get("disc_start").AsLong(),
            DiscWeight = p.GetDouble("disc_weight", 1.0),
            DiscFactor = p.GetDouble("disc_factor", loss.DiscFactor),
            DiscNumLayers = p.GetInt("disc_num_layers", loss.DiscNumLayers),
            DiscType = discType switch
            {
                "2d" => DiscriminatorType.TwoD,
                "3d" => DiscriminatorType.ThreeD,
                _ => throw p.Get("disc_type").Error($"disc_type must be 2d or 3d, got '{discType}'"),
            },
            DiscLoss = discLoss switch
            {
                "hinge" => DiscriminatorLossKind.Hinge,
                "vanilla" => DiscriminatorLossKind.Vanilla,
                _ => throw p.Get("disc_loss").Error($"disc_loss must be hinge or vanilla, got '{discLoss}'"),
            },
            LogvarInit = p.GetDouble("logvar_init", loss.LogvarInit),
            LearnLogvar = p.GetBool("learn_logvar", false),
            GenLossCrossEntropy = p.GetBool("gen_loss_cross_entropy", false),
            LecamLossWeight = p.GetDouble("lecam_loss_weight", 0),
            PerceptualWeight = p.GetDouble("perceptual_weight", loss.PerceptualWeight),
            RegularizationWeights = regularization,
        };
    }

    private static FsqAuxLossOptions ReadFsq(ConfigMapping? section)
    {
        var fsq = new FsqAuxLossOptions();
        if (section?.FindNonNull("params") is not ConfigMapping p) return fsq;
        return fsq with
        {
            EntropyLossWeight = p.GetDouble("entropy_loss_weight", 0),
            AnnealingSteps = p.GetInt("entropy_loss_annealing_steps", 0),
            AnnealingFactor = p.GetDouble("entropy_loss_annealing_factor", 1),
            CommitmentLossWeight = p.GetDouble("commitment_loss_weight", 0),
            DiversityGamma = p.GetDouble("diversity_gamma", 1),
        };
    }

    // data.params.batch_size and train.params.video_params; official files carry placeholders
    // (INPUT_HEIGHT_1, ...) there, which the tessera section must then override.
    private static TrainConfig ReadData(ConfigDocument doc, TrainConfig config)
    {
        if (doc.TryResolve("data.params") is not ConfigMapping p) return config;
        config = config with { BatchSize = p.GetInt("batch_size", config.BatchSize) };
        if (doc.TryResolve("data.params.train.params.video_params") is not ConfigMapping v) return config;
        var clip = config.Clip;
        if (v.FindNonNull("sample_num_frames") is ConfigScalar { Kind: ScalarKind.Int } f) clip = clip with { Frames = f.AsInt() };
        if (v.FindNonNull("sample_fps") is ConfigScalar { Kind: ScalarKind.Int or ScalarKind.Float } r) clip = clip with { Fps = r.AsDouble() };
        if (v.FindNonNull("input_height") is ConfigScalar { Kind: ScalarKind.Int } h) clip = clip with { Size = h.AsInt() };
        return config with { Clip = clip };
    }

    private static TrainConfig ReadLightning(ConfigDocument doc, TrainConfig config)
    {
        if (doc.TryResolve("lightning.modelcheckpoint.params") is ConfigMapping m)
            config = config with { CheckpointEvery = m.GetInt("every_n_train_steps", config.CheckpointEvery) };
        if (doc.TryResolve("lightning.trainer") is ConfigMapping t)
        {
            if (t.FindNonNull("max_steps") is { } s && s.AsLong() > 0) config = config with { MaxSteps = s.AsLong() };
            if (t.FindNonNull("val_check_interval") is ConfigScalar { Kind: ScalarKind.Int } e) config = config with { EvalEvery = e.AsInt() };
            if (t.FindNonNull("precision") is ConfigScalar p) config = config with { Bf16 = p.Text == "bf16-mixed" };
        }
        return config;
    }

    private static VidTokTrainingOptions ReadOptions(ConfigMapping t, VidTokTrainingOptions o)
    {
        var start = t.FindNonNull("lr_decay_start")?.AsLong() ?? o.LrDecayStart;
        var end = t.GetDouble("end_lr", o.EndLearningRate);
        if (start is < 0) throw t.Get("lr_decay_start").Error($"lr_decay_start must not be negative, got {start}");
        if (end < 0) throw t.Get("end_lr").Error($"end_lr must not be negative, got {end}");
        return o with { LrDecayStart = start, EndLearningRate = end };
    }

    private static TrainConfig ReadTessera(ConfigMapping t, TrainConfig c)
    {
        foreach (var key in t.Keys)
            if (!TesseraKeys.Contains(key))
                throw t.Get(key).Error($"unknown key 'tessera.{key}'; known: {string.Join(", ", TesseraKeys.Order())}");
        return c with
        {
            MaxSteps = t.FindNonNull("max_steps")?.AsLong() ?? c.MaxSteps,
            BatchSize = t.GetInt("batch_size", c.BatchSize),
            LearningRate = t.GetDouble("learning_rate", c.LearningRate),
            Clip = c.Clip with
            {
                Frames = t.GetInt("frames", c.Clip.Frames),
                Fps = t.GetDouble("fps", c.Clip.Fps),
                Size = t.GetInt("size", c.Clip.Size),
                RandomFlip = t.GetBool("random_flip", c.Clip.RandomFlip),
                RandomHue = t.GetDouble("random_hue", c.Clip.RandomHue),
                MaxScale = t.GetDouble("max_scale", c.Clip.MaxScale),
            },
            Seed = t.GetInt("seed", c.Seed),
            EmaDecay = t.FindNonNull("ema_decay")?.AsDouble() ?? c.EmaDecay,
            FixEncoder = t.GetBool("fix_encoder", c.FixEncoder),
            FixDecoder = t.GetBool("fix_decoder", c.FixDecoder),
            InitFrom = t.FindNonNull("init_from")?.AsString() ?? c.InitFrom,
            LogEvery = t.GetInt("log_every", c.LogEvery),
            EvalEvery = t.GetInt("eval_every", c.EvalEvery),
            EvalClips = t.GetInt("eval_clips", c.EvalClips),
            CheckpointEvery = t.GetInt("checkpoint_every", c.CheckpointEvery),
            KeepCheckpoints = t.GetInt("keep_checkpoints", c.KeepCheckpoints),
            Prefetch = t.GetInt("prefetch", c.Prefetch),
            SkipDiscriminatorBeforeStart = t.GetBool("skip_discriminator_before_start", c.SkipDiscriminatorBeforeStart),
            Bf16 = t.GetBool("bf16", c.Bf16),
            Family = ReadOptions(t, c.Family as VidTokTrainingOptions ?? new VidTokTrainingOptions()),
            Loss = c.Loss with
            {
                DiscStart = t.FindNonNull("disc_start")?.AsLong() ?? c.Loss.DiscStart,
                PerceptualWeight = t.GetDouble("perceptual_weight", c.Loss.PerceptualWeight),
                ColourWeight = t.GetDouble("colour_weight", c.Loss.ColourWeight),
                ChromaWeight = t.GetDouble("chroma_weight", c.Loss.ChromaWeight),
            },
        };
    }
}
