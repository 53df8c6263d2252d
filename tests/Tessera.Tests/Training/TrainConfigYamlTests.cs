using Tessera.Training;

namespace Tessera.Tests.Training;

[DisposeScopePerTest]
public sealed class TrainConfigYamlTests
{
    [Fact]
    public void BundledModelConfig_ReadsEverySection()
    {
        var c = TrainConfigYaml.Load(Path.Combine(TestPaths.RepoRoot!, "configs", "tessera_small_fsq_causal_488_4096.yaml"));
        Assert.Equal(16, Assert.IsType<Tessera.Models.VidTok.VidTokConfig>(c.Model).Ch);
        Assert.Equal(2e-4, c.LearningRate);
        Assert.Equal(0.999, c.EmaDecay);
        Assert.Equal((17, 8.0, 64), (c.Clip.Frames, c.Clip.Fps, c.Clip.Size));
        Assert.Equal(8001, c.Loss.DiscStart);
        Assert.Equal(0.005, c.Loss.LecamLossWeight);
        Assert.True(c.Loss.LearnLogvar && c.Loss.GenLossCrossEntropy);
        Assert.Equal(DiscriminatorType.TwoD, c.Loss.DiscType);
        Assert.Equal((0.1, 2000, 3.0, 0.25), (c.FsqAux.EntropyLossWeight, c.FsqAux.AnnealingSteps, c.FsqAux.AnnealingFactor, c.FsqAux.CommitmentLossWeight));
        Assert.Equal(1300, c.MaxSteps);
        Assert.Equal(50, c.CheckpointEvery);
    }

    private static string Yaml(string extra) => """
        model:
          base_learning_rate: 1.0e-05
          target: vidtok.models.autoencoder_v1_1.AutoencodingEngine
          params:
            encoder_config:
              target: vidtok.modules.model_3dcausal_v1_1.EncoderCausal3DPadding
              params: {double_z: false, z_channels: 4, in_channels: 3, out_ch: 3, ch: 8, ch_mult: [1, 2, 2, 2], num_res_blocks: 1,
                       norm_type: layernorm, interpolation_mode: trilinear, fix_encoder: true}
            decoder_config:
              target: vidtok.modules.model_3dcausal_v1_1.DecoderCausal3DPadding
              params: ${model.params.encoder_config.params}
            regularizer_config:
              target: vidtok.modules.regularizers.FSQRegularizer
              params: {levels: [8, 8, 8, 8]}
            loss_config:
              target: vidtok.modules.losses.GeneralLPIPSWithDiscriminator
              params: {disc_start: 20001}
        data:
          params:
            batch_size: 2
            train:
              params:
                video_params: {input_height: INPUT_HEIGHT_1, input_width: INPUT_WIDTH_1, sample_num_frames: 33, sample_fps: 3}
        lightning:
          modelcheckpoint: {params: {every_n_train_steps: 5000}}
        EXTRA
        """.Replace("EXTRA", extra);

    [Fact]
    public void OfficialLayout_TakesReferenceDefaultsAndSkipsPlaceholders()
    {
        using var dir = new TempDir();
        var path = dir.File("train.yaml");
        File.WriteAllText(path, Yaml(""));
        var c = TrainConfigYaml.Load(path);
        Assert.True(c.FixEncoder);
        Assert.Equal(2, c.BatchSize);
        Assert.Equal(33, c.Clip.Frames);
        Assert.Equal(128, c.Clip.Size);                         // INPUT_HEIGHT_1 is a placeholder: Tessera's default stays
        Assert.Equal(DiscriminatorType.ThreeD, c.Loss.DiscType); // GeneralLPIPSWithDiscriminator's own default
        Assert.Equal(1.0, c.Loss.DiscWeight);
        Assert.Empty(c.Loss.RegularizationWeights);
        Assert.Equal(0.0, c.FsqAux.EntropyLossWeight);
        Assert.Equal(5000, c.CheckpointEvery);
        Assert.False(c.Clip.RandomFlip);                        // VidTok's data set does not flip
        File.WriteAllText(path, Yaml("tessera: {random_flip: true}"));
        Assert.True(TrainConfigYaml.Load(path).Clip.RandomFlip);
        Assert.Equal(0.0, c.Clip.RandomHue);                    // nor turn hues
        File.WriteAllText(path, Yaml("tessera: {random_hue: 0.5}"));
        Assert.Equal(0.5, TrainConfigYaml.Load(path).Clip.RandomHue);
        File.WriteAllText(path, Yaml("tessera: {random_hue: 1.5}"));
        Assert.Contains("random_hue", Assert.Throws<ConfigException>(() => TrainConfigYaml.Load(path).Validate()).Message);
        Assert.Equal(0.0, c.Loss.ColourWeight);                 // VidTok's loss has no colour term
        File.WriteAllText(path, Yaml("tessera: {colour_weight: 2}"));
        Assert.Equal(2.0, TrainConfigYaml.Load(path).Loss.ColourWeight);
        File.WriteAllText(path, Yaml("tessera: {colour_weight: -1}"));
        Assert.Contains("colour_weight", Assert.Throws<ConfigException>(() => TrainConfigYaml.Load(path).Validate()).Message);
        File.WriteAllText(path, Yaml("tessera: {chroma_weight: 3}"));
        Assert.Equal(3.0, TrainConfigYaml.Load(path).Loss.ChromaWeight);
        File.WriteAllText(path, Yaml("tessera: {chroma_weight: -1}"));
        Assert.Contains("chroma_weight", Assert.Throws<ConfigException>(() => TrainConfigYaml.Load(path).Validate()).Message);
        Assert.Equal(1.25, c.Clip.MaxScale);                    // the short side resized to 1 to 1.25 times the clip size
        File.WriteAllText(path, Yaml("tessera: {max_scale: 4}"));
        Assert.Equal(4.0, TrainConfigYaml.Load(path).Clip.MaxScale);
        File.WriteAllText(path, Yaml("tessera: {max_scale: 0.5}"));
        Assert.Contains("max_scale", Assert.Throws<ConfigException>(() => TrainConfigYaml.Load(path).Validate()).Message);
    }

    [Fact]
    public void LearningRateDecay_IsConstantUntilItsStart_ThenACosineToTheEndRate()
    {
        using var dir = new TempDir();
        var path = dir.File("train.yaml");
        File.WriteAllText(path, Yaml("tessera: {max_steps: 1000, learning_rate: 2.0e-4, lr_decay_start: 600, end_lr: 1.0e-5}"));
        var c = TrainConfigYaml.Load(path);
        var o = Assert.IsType<Tessera.Models.VidTok.VidTokTrainingOptions>(c.Family);
        double At(long step) => o.LearningRateAt(step, c.LearningRate, c.MaxSteps);
        Assert.Equal(2e-4, At(0));
        Assert.Equal(2e-4, At(600));
        Assert.Equal(0.5 * (2e-4 + 1e-5), At(800), 12);
        Assert.Equal(1e-5, At(1000), 12);
        Assert.Equal(1e-5, At(1200), 12);
        for (var s = 600; s < 1000; s += 10) Assert.True(At(s + 10) < At(s));
        File.WriteAllText(path, Yaml(""));
        var constant = Assert.IsType<Tessera.Models.VidTok.VidTokTrainingOptions>(TrainConfigYaml.Load(path).Family ?? new Tessera.Models.VidTok.VidTokTrainingOptions());
        Assert.Equal(1e-5, constant.LearningRateAt(900, 1e-5, 1000));
        File.WriteAllText(path, Yaml("tessera: {lr_decay_start: -5}"));
        Assert.Contains("lr_decay_start", Assert.Throws<ConfigException>(() => TrainConfigYaml.Load(path)).Message);
    }

    [Fact]
    public void UnknownTesseraKey_IsAnErrorNamingIt()
    {
        using var dir = new TempDir();
        var path = dir.File("train.yaml");
        File.WriteAllText(path, Yaml("tessera: {max_stepz: 10}"));
        var e = Assert.Throws<ConfigException>(() => TrainConfigYaml.Load(path));
        Assert.Contains("max_stepz", e.Message);
        Assert.Contains("train.yaml", e.Message);
    }
}
