using Tessera.Models.SweetTok.Priors;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Video;
using Tessera.Training;
using WordGroup = Tessera.Models.SweetTok.Priors.WordGroup;

namespace Tessera.Tests.Cli;

/// <summary>`tessera train` with a SweetTok stage-1 config (official layout + tessera: section), killed with SIGKILL and resumed.</summary>
[DisposeScopePerTest]
public sealed class SweetTokTrainCommandTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly string config;
    private readonly string videos;

    public SweetTokTrainCommandTests()
    {
        videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=48x40:rate=10:duration=3", "-pix_fmt", "yuv420p", Path.Combine(videos, "a.mp4"));
        var proxy = dir.File("proxy.safetensors");
        using (var vidtok = TinyModels.Model(VidTokFamily.CausalV1_1, fsq: true, seed: 5))
            VidTokWeights.Save(proxy, vidtok);
        var spatial = dir.File("spatial.safetensors");
        var temporal = dir.File("temporal.safetensors");
        Prior(WordPrior.AdjectiveNoun, "adjective", "noun", 6, 7).Write(spatial);
        Prior(WordPrior.AdverbVerb, "adverb", "verb", 5, 8).Write(temporal);
        config = dir.File("sweettok_stage1.yaml");
        File.WriteAllText(config, $$"""
            experiment:
                train_stage: 1
                init_weight: ''
            model:
                vq_model:
                    codebook_size: 4096
                    token_size: 4
                    commitment_cost: 0.25
                    num_spatial_latent_tokens: 4
                    num_temporal_latent_tokens: 4
                    enc_tube_size: 5
                    dec_tube_size: 2
                    finetune_decoder: False
                    model_type: "SweetTok_Compact"
            losses:
                quantizer_weight: 1.0
            optimizer:
                name: adamw
                params: {learning_rate: 1e-3, beta1: 0.9, beta2: 0.99, weight_decay: 1e-4, epsilon: 1e-8}
            lr_scheduler:
                scheduler: "cosine"
                params: {learning_rate: "${optimizer.params.learning_rate}", warmup_steps: 2, end_lr: 1e-4}
            training:
                per_gpu_batch_size: 1
                use_ema: True
                seed: 42
                max_train_steps: 150_000
                max_grad_norm: 1.0
            tessera:
                image_size: 16
                dim: 32
                heads: 2
                dim_head: 16
                window_size: 2
                enc_block: "tw"
                dec_block: "tt"
                temporal_depth: 1
                dec_temporal_layers: [1]
                e_dim: 16
                spatial_prior_dim: 8
                temporal_prior_dim: 8
                proxy: '{{proxy}}'
                spatial_prior: '{{spatial}}'
                temporal_prior: '{{temporal}}'
                fps: 5
                max_steps: 6
                log_every: 1
                checkpoint_every: 2
                eval_every: 1000
            """);
    }

    public void Dispose() => dir.Dispose();

    private static WordPrior Prior(string kind, string first, string second, int n1, int n2)
    {
        var random = new Random(n1 * 31 + n2);
        WordGroup Group(string name, int n) => new(name, Enumerable.Range(0, n).Select(i => $"{name}{i}").ToList(),
            Enumerable.Repeat(100L, n).ToList(), Enumerable.Range(0, n * 8).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(), 8);
        var edges = Enumerable.Range(0, Math.Min(n1, n2)).Select(i => ($"{first}{i}", $"{second}{i}")).ToList();
        return new WordPrior(kind, Group(first, n1), Group(second, n2), edges, new Dictionary<string, string>());
    }


    // Stage 2 for two steps from a stage-1 checkpoint (the stage-1 config with train_stage 2 and init_weight), then
    // convert: the stage-2 checkpoint and the model file, named after the stage-2 config.
    private (string Checkpoint, string Model) Stage2AndConvert(string stage1Config, string stage1Checkpoint, string name)
    {
        var stage2Config = dir.File(name + ".yaml");
        File.WriteAllText(stage2Config, File.ReadAllText(stage1Config).Replace("train_stage: 1", "train_stage: 2").Replace("init_weight: ''", $"init_weight: '{stage1Checkpoint}'"));
        var run = dir.File(name + "-run");
        var train = CliRunner.Run("train", "-c", stage2Config, "--data", videos, "-o", run, "--max-steps", "2");
        Assert.True(train.ExitCode == 0, train.Error);
        var checkpoint = new CheckpointStore(run).List()[^1].Path;
        var model = dir.File(name + ".safetensors");
        var convert = CliRunner.Run("convert", checkpoint, "--config", stage2Config, "-o", model);
        Assert.True(convert.ExitCode == 0, convert.Error);
        return (checkpoint, model);
    }

    [Fact]
    public void Config_ReadsTheOfficialSectionsAndTheTesseraSection()
    {
        var c = TrainConfigYaml.Load(config);
        var options = Assert.IsType<Tessera.Models.SweetTok.SweetTokTrainingOptions>(c.Family);
        Assert.Equal((1, 2L, 1e-4, 0.99, 1e-4), (options.Stage, options.WarmupSteps, options.EndLearningRate, options.Beta2, options.WeightDecay));
        Assert.Equal((1e-3, 1.0, 0.999, 42, 6L), (c.LearningRate, c.GradClip, c.EmaDecay, c.Seed, c.MaxSteps));
        Assert.Equal((5, 16, 5.0), (c.Clip.Frames, c.Clip.Size, c.Clip.Fps));
        Assert.Null(c.InitFrom);
    }

    [Fact]
    public void Train_KilledWithSigkill_ResumesOnTheSameLossCurve()
    {
        var (whole, _) = KillAndResume.AssertSameLossCurve(dir, config, videos, maxSteps: 6);
        Assert.Contains("SweetTok, 4 spatial + 4 temporal queries", whole.Error);
    }

    [Fact]
    public void TrainedCheckpoint_ConvertsToAModelFile_ThatReconstructsAndNamesWords()
    {
        var run = dir.File("run");
        var train = CliRunner.Run("train", "-c", config, "--data", videos, "-o", run, "--max-steps", "2");
        Assert.True(train.ExitCode == 0, train.Error);
        var checkpoint = new CheckpointStore(run).List()[^1].Path;

        var model = dir.File("trained.safetensors");
        var convert = CliRunner.Run("convert", checkpoint, "--config", config, "--ema", "-o", model);
        Assert.True(convert.ExitCode == 0, convert.Error);
        var meta = Tessera.Checkpoints.SafeTensorsFile.ReadHeader(model).Metadata;
        Assert.Equal(("sweettok", "2", "1", "ema", "argmax"), (meta["model_family"], meta["training_step"], meta["training_stage"], meta["training_weights"], meta["sweettok_pixel_path"]));
        Assert.Equal("vidtok", meta["proxy.model_family"]);

        // The model file alone (no priors, no proxy file) reconstructs a clip and names the words of its tokens.
        var proxyFile = dir.File("proxy.safetensors");
        File.Move(proxyFile, proxyFile + ".moved");
        var video = dir.File("rec.safetensors");
        var reconstruct = CliRunner.Run("reconstruct", Path.Combine(videos, "a.mp4"), "-m", model, "--size", "16", "--frames", "5", "-o", video);
        Assert.True(reconstruct.ExitCode == 0, reconstruct.Error);
        using (var rec = Tessera.Checkpoints.SafeTensorsFile.Load(video))
        {
            var v = rec["video"];
            Assert.Equal(new long[] { 3, 5, 16, 16 }, v.shape[^4..]);
            Assert.True(v.abs().max().item<float>() <= 0.5f + 1e-6f);
            Assert.True(v.std().item<float>() > 0);
        }
        // Bundled beside the tool, the model is named by a word of its name, and 'words <video>' takes it by default.
        var models = Directory.CreateDirectory(dir.File("models")).FullName;
        File.Copy(model, Path.Combine(models, "tiny_sweettok_test.safetensors"));
        var wordsOfVideo = CliRunner.RunWithModels(models, "words", Path.Combine(videos, "a.mp4"), "--size", "16", "--frames", "5");
        Assert.True(wordsOfVideo.ExitCode == 0, wordsOfVideo.Error);
        Assert.Matches(@"adjective\d+ adjective\d+ noun\d+", wordsOfVideo.Out);
        var byShortName = CliRunner.RunWithModels(models, "reconstruct", Path.Combine(videos, "a.mp4"), "-m", "sweettok", "--size", "16", "--frames", "5");
        Assert.True(byShortName.ExitCode == 0, byShortName.Error);
        Assert.Contains("tiny_sweettok_test", byShortName.Out + byShortName.Error);

        // A video longer than the model's clip goes clip by clip, the last one padded and trimmed back.
        var longVideo = dir.File("rec-long.safetensors");
        var reconstructLong = CliRunner.Run("reconstruct", Path.Combine(videos, "a.mp4"), "-m", model, "--size", "16", "--frames", "12", "-o", longVideo);
        Assert.True(reconstructLong.ExitCode == 0, reconstructLong.Error);
        Assert.Contains("12 frames in 3 clips -> ", reconstructLong.Out);
        using (var rec = Tessera.Checkpoints.SafeTensorsFile.Load(longVideo))
            Assert.Equal(new long[] { 3, 12, 16, 16 }, rec["video"].shape[^4..]);

        var tokens = dir.File("tokens.safetensors");
        var encode = CliRunner.Run("encode", Path.Combine(videos, "a.mp4"), "-m", model, "--size", "16", "--frames", "5", "-o", tokens);
        Assert.True(encode.ExitCode == 0, encode.Error);
        var words = CliRunner.Run("words", tokens);
        Assert.True(words.ExitCode == 0, words.Error);
        Assert.Matches(@"adjective\d+ adjective\d+ noun\d+", words.Out);
        Assert.Matches(@"adverb\d+ adverb\d+ verb\d+", words.Out);

        File.Move(proxyFile + ".moved", proxyFile);

        // Float16 storage (convert --half): about half the file, and it runs (codebooks and proxy included).
        var halfModel = dir.File("trained-half.safetensors");
        var convertHalf = CliRunner.Run("convert", checkpoint, "--config", config, "--ema", "--half", "-o", halfModel);
        Assert.True(convertHalf.ExitCode == 0, convertHalf.Error);
        Assert.Contains("(float16 storage)", convertHalf.Out);
        Assert.InRange(new FileInfo(halfModel).Length, 0.4 * new FileInfo(model).Length, 0.6 * new FileInfo(model).Length);
        var reconstructHalf = CliRunner.Run("reconstruct", Path.Combine(videos, "a.mp4"), "-m", halfModel, "--size", "16", "--frames", "5", "-o", dir.File("rec-half.safetensors"));
        Assert.True(reconstructHalf.ExitCode == 0, reconstructHalf.Error);

        // Stage 2 from that checkpoint: its model file decodes soft codes through the decoder the run fine-tuned.
        var (checkpoint2, model2) = Stage2AndConvert(config, checkpoint, "sweettok_stage2");
        using (var file = Tessera.Checkpoints.SafeTensorsFile.Load(model2))
        using (var ckpt = Tessera.Checkpoints.SafeTensorsFile.Load(checkpoint2))
        using (var original = Tessera.Checkpoints.SafeTensorsFile.Load(proxyFile))
        {
            Assert.Equal(("2", "raw", "soft"), (file.Metadata["training_stage"], file.Metadata["training_weights"], file.Metadata["sweettok_pixel_path"]));
            var tuned = ckpt.Keys.Where(k => k.StartsWith("proxy_decoder.", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(tuned);
            foreach (var k in tuned)
                Assert.True(file["proxy.decoder." + k["proxy_decoder.".Length..]].allclose(ckpt[k], 0, 0), k);
            Assert.Contains(tuned, k => !original["decoder." + k["proxy_decoder.".Length..]].allclose(ckpt[k], 0, 0));
        }
        Assert.Contains("model        sweettok_stage2:", CliRunner.Run("info", model2).Out);   // named after the config given to convert
        var reconstruct2 = CliRunner.Run("reconstruct", Path.Combine(videos, "a.mp4"), "-m", model2, "--size", "16", "--frames", "5", "-o", dir.File("rec2.safetensors"));
        Assert.True(reconstruct2.ExitCode == 0, reconstruct2.Error);
    }

    // The official proxy: an OmniTokenizer checkpoint at the config's pix_*/proxy_* sizes. Its decoding half becomes the
    // model file's own pixel path (pixel_* weights, the official stage-2 layout), fine-tuned after stage 2.
    [Fact]
    public void OmniTokenizerProxy_TrainsBothStages_AndConvertsWithThePixelPathInside()
    {
        var omni = Tessera.Tests.Models.SweetTok.OmniTokenizerProxyTests.SaveCheckpoint(dir.File("omni.safetensors"),
            Tessera.Tests.Models.SweetTok.SweetTokContractTests.Tiny, seed: 11);
        var omniConfig = dir.File("sweettok_omni.yaml");
        File.WriteAllText(omniConfig, File.ReadAllText(config)
            .Replace("codebook_size: 4096", "codebook_size: 16")
            .Replace($"proxy: '{dir.File("proxy.safetensors")}'", $"proxy: '{omni}'")
            .Replace("tessera:\n", "tessera:\n    proxy_code_dim: 4\n    pix_block: \"t\"\n    pix_temporal_depth: 1\n    pix_dim: 32\n    pix_heads: 2\n    pix_dim_head: 16\n    proxy_enc_block: \"t\"\n    proxy_temporal_depth: 1\n"));
        var run = dir.File("omni-run");
        var train = CliRunner.Run("train", "-c", omniConfig, "--data", videos, "-o", run, "--max-steps", "2");
        Assert.True(train.ExitCode == 0, train.Error);
        var checkpoint = new CheckpointStore(run).List()[^1].Path;
        Assert.StartsWith("OmniTokenizer 'omni.safetensors'", Tessera.Checkpoints.SafeTensorsFile.ReadHeader(checkpoint).Metadata["sweettok_proxy"]);
        var model = dir.File("omni-model.safetensors");
        var convert = CliRunner.Run("convert", checkpoint, "--config", omniConfig, "-o", model);
        Assert.True(convert.ExitCode == 0, convert.Error);
        using (var file = Tessera.Checkpoints.SafeTensorsFile.Load(model))
        using (var original = Tessera.Checkpoints.SafeTensorsFile.Load(omni))
        {
            Assert.DoesNotContain(file.Keys, k => k.StartsWith("proxy.", StringComparison.Ordinal));
            foreach (var k in original.Keys.Where(k => k.StartsWith("decoder.", StringComparison.Ordinal)))
                Assert.True(file["pixel_" + k].allclose(original[k], 0, 0), k);
            Assert.True(file["pixel_codebook.embeddings"].allclose(original["codebook.embeddings"], 0, 0));
        }

        var (checkpoint2, model2) = Stage2AndConvert(omniConfig, checkpoint, "sweettok_omni_stage2");
        using (var file = Tessera.Checkpoints.SafeTensorsFile.Load(model2))
        using (var ckpt = Tessera.Checkpoints.SafeTensorsFile.Load(checkpoint2))
        using (var original = Tessera.Checkpoints.SafeTensorsFile.Load(omni))
        {
            var tuned = ckpt.Keys.Where(k => k.StartsWith("proxy_decoder.decoder.", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(tuned);
            foreach (var k in tuned)
                Assert.True(file["pixel_" + k["proxy_decoder.".Length..]].allclose(ckpt[k], 0, 0), k);
            Assert.Contains(tuned, k => !original[k["proxy_decoder.".Length..]].allclose(ckpt[k], 0, 0));
            Assert.True(file["pixel_post_vq_conv.1.weight"].allclose(ckpt["proxy_decoder.post_vq_conv.1.weight"], 0, 0));
        }
        // The model file alone reconstructs: the proxy checkpoint is not needed any more.
        File.Move(omni, omni + ".moved");
        var reconstruct = CliRunner.Run("reconstruct", Path.Combine(videos, "a.mp4"), "-m", model2, "--size", "16", "--frames", "5", "-o", dir.File("omni-rec.safetensors"));
        Assert.True(reconstruct.ExitCode == 0, reconstruct.Error);
    }

    [Fact]
    public void Convert_TrainingCheckpointWithoutItsConfig_FailsWithOneLine()
    {
        var checkpoint = dir.File("step-00000002.safetensors");
        using (var t = TorchSharp.torch.zeros(1))
            Tessera.Checkpoints.SafeTensorsFile.Save(checkpoint, [("x", t)], new Dictionary<string, string> { ["format"] = "tessera.train/1" });
        var output = dir.File("m.safetensors");
        var result = CliRunner.Run("convert", checkpoint, "--preset", Tessera.Models.SweetTok.SweetTokPresets.Names.First(), "-o", output);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--config", result.Error);
        Assert.False(File.Exists(output));
    }
}
