using Tessera.Models.VidTok;

namespace Tessera.Tests.Models.VidTok;

[DisposeScopePerTest]
public sealed class VidTokYamlTests
{
    // A minimal config of our own in the layout of the official files (KL, causal v1.0, 4x8x8, 4 channels).
    private const string Kl488 = """
        model:
          target: vidtok.models.autoencoder.AutoencodingEngine
          params:
            encoder_config:
              target: vidtok.modules.model_3dcausal.EncoderCausal3DPadding
              params:
                ch: 128
                ch_mult: [1, 2, 4, 4]
                num_res_blocks: 2
                in_channels: 3
                out_ch: 3
                z_channels: 4
                double_z: true
                time_downsample_factor: 4
                norm_type: layernorm
            decoder_config:
              target: vidtok.modules.model_3dcausal.DecoderCausal3DPadding
              params: ${model.params.encoder_config.params}
            regularizer_config:
              target: vidtok.modules.regularizers.DiagonalGaussianRegularizer
        """;

    private const string FsqRegularizer = """
            regularizer_config:
              target: vidtok.modules.regularizers.FSQRegularizer
              params:
                levels: [8, 8, 8, 8]
        """;

    private static string Fsq488 => Kl488
        .Replace("double_z: true", "double_z: false", StringComparison.Ordinal)
        .Replace("""
            regularizer_config:
              target: vidtok.modules.regularizers.DiagonalGaussianRegularizer
        """, FsqRegularizer, StringComparison.Ordinal);

    private static string V11(string yaml) => yaml
        .Replace("autoencoder.AutoencodingEngine", "autoencoder_v1_1.AutoencodingEngine", StringComparison.Ordinal)
        .Replace("model_3dcausal.", "model_3dcausal_v1_1.", StringComparison.Ordinal)
        .Replace("norm_type: layernorm", "norm_type: layernorm\n        interpolation_mode: trilinear", StringComparison.Ordinal);

    private static string NonCausal(string yaml) => yaml
        .Replace("model_3dcausal.EncoderCausal3DPadding", "model_3dnoncausal.Encoder3D", StringComparison.Ordinal)
        .Replace("model_3dcausal.DecoderCausal3DPadding", "model_3dnoncausal.Decoder3D", StringComparison.Ordinal);

    private static string AddEncoderKey(string yaml, string line) =>
        yaml.Replace("        norm_type: layernorm", $"        norm_type: layernorm\n        {line}", StringComparison.Ordinal);

    private static ConfigException Fails(string yaml, string source = "configs/my.yaml") =>
        Assert.Throws<ConfigException>(() => VidTokYaml.Parse(yaml, source));

    [Fact]
    public void Kl_MatchesThePreset_AndTakesTheFileName()
    {
        var c = VidTokYaml.Parse(Kl488, "some/dir/vidtok_kl_causal_488_4chn.yaml");
        Assert.Equal(VidTokPresets.Get("vidtok_kl_causal_488_4chn"), c);
        Assert.Equal("vidtok_kl_causal_488_4chn", c.Name);
    }

    [Fact]
    public void Fsq_MatchesThePreset()
    {
        Assert.Equal(VidTokPresets.Get("vidtok_fsq_causal_488_4096"), VidTokYaml.Parse(Fsq488, "vidtok_fsq_causal_488_4096.yaml"));
    }

    [Fact]
    public void V11_888_MatchesThePreset()
    {
        var yaml = AddEncoderKey(V11(Fsq488), "tempo_ds: [0, 1, 2]\n        tempo_us: [1, 2, 3]")
            .Replace("time_downsample_factor: 4", "time_downsample_factor: 8", StringComparison.Ordinal)
            .Replace("z_channels: 4", "z_channels: 5", StringComparison.Ordinal)
            .Replace("levels: [8, 8, 8, 8]", "levels: [8, 8, 8, 8, 8]", StringComparison.Ordinal);
        var c = VidTokYaml.Parse(yaml, "vidtok_fsq_causal_888_32768_v1_1.yaml");
        Assert.Equal(VidTokPresets.Get("vidtok_fsq_causal_888_32768_v1_1"), c);
        Assert.Equal("8x8x8", c.Compression.ToString());
    }

    [Fact]
    public void NonCausal_And444_Compression()
    {
        Assert.Equal("4x8x8", VidTokYaml.Parse(NonCausal(Kl488), "nc.yaml").Compression.ToString());
        var c444 = VidTokYaml.Parse(AddEncoderKey(Kl488, "spatial_ds: [1, 2]\n        spatial_us: [1, 2]"), "vidtok_kl_causal_444_4chn.yaml");
        Assert.Equal(VidTokPresets.Get("vidtok_kl_causal_444_4chn"), c444);
        Assert.Equal("4x4x4", c444.Compression.ToString());
        var c288 = VidTokYaml.Parse(AddEncoderKey(Kl488, "tempo_ds: [1]\n        tempo_us: [2]").Replace("time_downsample_factor: 4", "time_downsample_factor: 2", StringComparison.Ordinal), "x.yaml");
        Assert.Equal("2x8x8", c288.Compression.ToString());
        var c41616 = VidTokYaml.Parse(Kl488.Replace("[1, 2, 4, 4]", "[1, 2, 4, 4, 4]", StringComparison.Ordinal), "x.yaml");
        Assert.Equal("4x16x16", c41616.Compression.ToString());
    }

    [Fact]
    public void HarmlessKeys_AndTrainingSections_AreAccepted()
    {
        var yaml = AddEncoderKey(Kl488, "dropout: 0.0\n        use_checkpoint: false\n        init_pad_mode: replicate\n        fix_encoder: false\n        fix_decoder: true\n        resamp_with_conv: true\n        tanh_out: false\n        spatial_ds: null")
            .Replace("model:\n", "model:\n  base_learning_rate: 1e-5\n", StringComparison.Ordinal)
            .Replace("  params:\n    encoder_config", "  params:\n    monitor: val/rec_loss\n    ignore_keys: []\n    use_tiling: False\n    encoder_config", StringComparison.Ordinal)
            + """

                loss_config:
                  target: some.Loss
                  params: {disc_start: 20001, regularization_weights: {'aux_loss': 1.0, 'kl_loss': 0.000001}}
            data:
              target: some.DataModule
              params:
                batch_size: 2
                train: {params: {data_dir: DATA_DIR_1, sample_fps: 3}}
            lightning:
              trainer:
                precision: bf16-mixed
                check_val_every_n_epoch: null
            """;
        Assert.Equal(VidTokPresets.Get("vidtok_kl_causal_488_4chn") with { Name = "t" }, VidTokYaml.Parse(yaml, "t.yaml"));
    }

    [Fact]
    public void AbsentKeys_TakeThePythonDefaults()
    {
        var yaml = Kl488.Replace("        norm_type: layernorm\n", "", StringComparison.Ordinal)
            .Replace("        double_z: true\n", "", StringComparison.Ordinal)
            .Replace("        time_downsample_factor: 4\n", "", StringComparison.Ordinal);
        var c = VidTokYaml.Parse(yaml, "d.yaml");
        Assert.Equal(NormType.GroupNorm, c.NormType);
        Assert.Equal(4, c.TimeDownsampleFactor);
        Assert.Equal(new KlBottleneck(4), c.Regularizer);
        Assert.Equal(TemporalInterpolation.Nearest, c.InterpolationMode);
    }

    [Fact]
    public void Load_ReadsAFile_AndMissingFileIsConfigException()
    {
        var dir = Directory.CreateTempSubdirectory("tessera-vidtok-yaml-").FullName;
        try
        {
            var path = Path.Combine(dir, "mine.yaml");
            File.WriteAllText(path, Kl488);
            Assert.Equal("mine", VidTokYaml.Load(path).Name);
            var e = Assert.Throws<ConfigException>(() => VidTokYaml.Load(Path.Combine(dir, "absent.yaml")));
            Assert.Contains("absent.yaml", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("vidtok.modules.model_3dcausal.EncoderCausal3DPadding", "vidtok.modules.model_9d.Encoder",
        "configs/my.yaml:5: key 'model.params.encoder_config.target': unknown encoder target 'vidtok.modules.model_9d.Encoder'")]
    [InlineData("vidtok.modules.model_3dcausal.DecoderCausal3DPadding", "vidtok.modules.model_3dnoncausal.Decoder3D",
        "key 'model.params.decoder_config.target': decoder target 'vidtok.modules.model_3dnoncausal.Decoder3D' does not fit")]
    [InlineData("vidtok.models.autoencoder.AutoencodingEngine", "vidtok.models.autoencoder_v1_1.AutoencodingEngine",
        "key 'model.target': engine 'vidtok.models.autoencoder_v1_1.AutoencodingEngine' does not fit")]
    [InlineData("vidtok.models.autoencoder.AutoencodingEngine", "my.Engine", "key 'model.target': unknown engine target 'my.Engine'")]
    [InlineData("vidtok.modules.regularizers.DiagonalGaussianRegularizer", "vidtok.modules.regularizers.VQ",
        "key 'model.params.regularizer_config.target': unknown regularizer target")]
    [InlineData("ch: 128", "ch: \"128\"", "configs/my.yaml:7: key 'model.params.encoder_config.params.ch': expected an integer, got string '128'")]
    [InlineData("ch_mult: [1, 2, 4, 4]", "ch_mult: [1, 2, four, 4]", "key 'model.params.encoder_config.params.ch_mult[2]': expected an integer")]
    [InlineData("double_z: true", "double_z: 1", "key 'model.params.encoder_config.params.double_z': expected a boolean")]
    [InlineData("norm_type: layernorm", "norm_type: batchnorm", "key 'model.params.encoder_config.params.norm_type': unknown norm_type 'batchnorm'")]
    [InlineData("double_z: true", "double_z: false", "key 'model.params.encoder_config.params.double_z': double_z must be true with DiagonalGaussianRegularizer")]
    [InlineData("        z_channels: 4\n", "", "missing key 'model.params.encoder_config.params.z_channels'")]
    [InlineData("      params: ${model.params.encoder_config.params}", "      params: ${model.params.encoder.params}",
        "key 'model.params.decoder_config.params': interpolation '${model.params.encoder.params}' cannot be resolved: missing key 'model.params.encoder'")]
    [InlineData("    regularizer_config:\n      target: vidtok.modules.regularizers.DiagonalGaussianRegularizer", "",
        "configs/my.yaml: missing key 'model.params.regularizer_config'")]
    [InlineData("ch_mult: [1, 2, 4, 4]", "ch_mult: [1]", "configs/my.yaml: config 'my': ch_mult needs at least 2 positive entries")]
    [InlineData("time_downsample_factor: 4", "time_downsample_factor: 8", "time_downsample_factor is 8 but tempo_ds builds 4x temporal compression")]
    [InlineData("    encoder_config:", "    encoder_config:\n      target: x\n    bad: [", "invalid YAML at line")]
    public void BadConfigs_NameFileAndKey(string from, string to, string expected)
    {
        Assert.Contains(from, Kl488);
        var e = Fails(Kl488.Replace(from, to, StringComparison.Ordinal));
        Assert.StartsWith("configs/my.yaml", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("attn_resolutions: [16]", "key 'model.params.encoder_config.params.attn_resolutions': unknown key 'attn_resolutions' in the encoder params")]
    [InlineData("init_pad_mode: constant", "key 'model.params.encoder_config.params.init_pad_mode': init_pad_mode 'constant' is not supported")]
    [InlineData("tanh_out: true", "tanh_out true is not supported")]
    [InlineData("resamp_with_conv: false", "resamp_with_conv false")]
    [InlineData("dropout: 1.5", "dropout must be in [0, 1)")]
    [InlineData("interpolation_mode: trilinear", "key 'model.params.encoder_config.params.interpolation_mode': interpolation_mode trilinear is only read by model_3dcausal_v1_1")]
    [InlineData("interpolation_mode: cubic", "unknown interpolation_mode 'cubic'")]
    [InlineData("tempo_ds: [1, 1]", "tempo_ds lists a level twice")]
    [InlineData("spatial_ds: [0, 7]", "spatial_ds names level 7, but ch_mult has 4 levels")]
    [InlineData("tempo_us: [1]", "tempo_us and tempo_ds build different numbers of temporal samplers")]
    public void BadEncoderKeys_AreErrors(string line, string expected)
    {
        var e = Fails(AddEncoderKey(Kl488, line));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void NonCausal_RejectsLayoutLists()
    {
        var e = Fails(AddEncoderKey(NonCausal(Kl488), "spatial_ds: [1, 2]"));
        Assert.Contains("key 'model.params.encoder_config.params.spatial_ds': spatial_ds is fixed in model_3dnoncausal", e.Message);
    }

    [Fact]
    public void Fsq_LevelsMustMatchZChannels()
    {
        var e = Fails(Fsq488.Replace("levels: [8, 8, 8, 8]", "levels: [8, 8, 8, 8, 8, 8]", StringComparison.Ordinal));
        Assert.Contains("key 'model.params.encoder_config.params.z_channels': z_channels is 4 but FSQ levels has 6 entries (model.params.regularizer_config.params.levels)", e.Message);

        var dz = Fails(Fsq488.Replace("double_z: false", "double_z: true", StringComparison.Ordinal));
        Assert.Contains("double_z must be false with FSQRegularizer", dz.Message);

        var extra = Fails(Fsq488.Replace("levels: [8, 8, 8, 8]", "levels: [8, 8, 8, 8]\n        num_codebooks: 2", StringComparison.Ordinal));
        Assert.Contains("only num_codebooks 1 is supported", extra.Message);

        var ok = VidTokYaml.Parse(Fsq488.Replace("levels: [8, 8, 8, 8]",
            "levels: [8, 8, 8, 8]\n        entropy_loss_weight: 0.1\n        entropy_loss_annealing_steps: 2000\n        commitment_loss_weight: 0.25", StringComparison.Ordinal), "f.yaml");
        Assert.Equal(4096, ((FsqBottleneck)ok.Regularizer).CodebookSize);
    }

    [Fact]
    public void DecoderParams_MustAgreeWithEncoderOnArchitecture()
    {
        var yaml = Kl488.Replace("      params: ${model.params.encoder_config.params}", """
                  params:
                    ch: 64
                    ch_mult: [1, 2, 4, 4]
                    num_res_blocks: 2
                    out_ch: 3
                    z_channels: 4
                    norm_type: layernorm
            """, StringComparison.Ordinal);
        var e = Fails(yaml);
        Assert.Contains("key 'model.params.decoder_config.params.ch': decoder params differ from encoder params in 'ch': encoder has 128", e.Message);

        // Same architecture written out separately is fine; decoder-only keys come from the decoder params.
        var ok = VidTokYaml.Parse(yaml.Replace("ch: 64", "ch: 128", StringComparison.Ordinal)
            .Replace("    out_ch: 3\n            z_channels", "    out_ch: 3\n            tempo_us: [1, 2]\n            z_channels", StringComparison.Ordinal), "x.yaml");
        Assert.Equal(128, ok.Ch);
    }
}

[DisposeScopePerTest]
public sealed class VidTokConfigValidateTests
{
    private static readonly VidTokConfig Good = VidTokPresets.Get("vidtok_kl_causal_488_4chn");

    public static TheoryData<string, object, string> Broken => new()
    {
        { "ch", Good with { Ch = 0 }, "ch must be positive, got 0" },
        { "ch_mult", Good with { ChMult = [1] }, "ch_mult needs at least 2 positive entries" },
        { "num_res_blocks", Good with { NumResBlocks = 0 }, "num_res_blocks must be positive" },
        { "in_channels", Good with { InChannels = 4 }, "in_channels and out_ch must be 3" },
        { "tdf", Good with { TimeDownsampleFactor = 0 }, "time_downsample_factor must be positive" },
        { "groupnorm", Good with { Ch = 48, NormType = NormType.GroupNorm }, "groupnorm needs channel widths divisible by 32" },
        { "fsq", Good with { Regularizer = new FsqBottleneck([8, 1]) }, "FSQ levels must be at least 2 each" },
        { "kl", Good with { Regularizer = new KlBottleneck(0) }, "z_channels must be positive" },
        { "level", Good with { TempoDs = [4] }, "tempo_ds names level 4, but ch_mult has 4 levels" },
        { "tdf-mismatch", Good with { TimeDownsampleFactor = 2 }, "time_downsample_factor is 2 but tempo_ds builds 4x" },
        { "us-mismatch", Good with { TempoUs = [1, 2, 3] }, "tempo_us and tempo_ds build different numbers" },
        { "trilinear", Good with { InterpolationMode = TemporalInterpolation.Trilinear }, "trilinear is only read by the causal v1.1 model" },
        { "noncausal", Good with { Family = VidTokFamily.NonCausal, SpatialDs = [0, 1] }, "fixed in the non-causal model" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Validate_RejectsBrokenSettings(string label, object configValue, string expected)
    {
        // xunit theory parameters must be public types; VidTokConfig is internal to the library.
        var config = (VidTokConfig)configValue;
        var e = Assert.Throws<ConfigException>(config.Validate);
        Assert.StartsWith("config 'vidtok_kl_causal_488_4chn': ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.NotEmpty(label);
    }
}
