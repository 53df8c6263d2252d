using System.Globalization;
using Tessera.Models;
using Tessera.Models.SweetTok;
using Tessera.Models.SweetTok.Priors;
using WordGroup = Tessera.Models.SweetTok.Priors.WordGroup;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Models.SweetTok;
using Tessera.Tests.Video;
using Tessera.Training;
using Tessera.Training.Data;

namespace Tessera.Tests.Training;

/// <summary>
/// SweetTok's stage 1 through the family-neutral trainer: a tiny model (5 frames of 16², 2×2 grid) learns a tiny
/// random VidTok-FSQ proxy's codes (4096) on tiny videos, with tiny random word priors.
/// </summary>
[DisposeScopePerTest]
public sealed class SweetTokTrainingTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly VideoDataset data;
    private readonly string proxy;
    private readonly string spatialPrior;
    private readonly string temporalPrior;
    private readonly Xunit.Abstractions.ITestOutputHelper output;

    public SweetTokTrainingTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        this.output = output;
        var videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=48x40:rate=10:duration=3", "-pix_fmt", "yuv420p", Path.Combine(videos, "a.mp4"));
        data = VideoDataset.Load(videos);
        proxy = dir.File("proxy.safetensors");
        using (var vidtok = TinyModels.Model(VidTokFamily.CausalV1_1, fsq: true, seed: 5))
            VidTokWeights.Save(proxy, vidtok);
        spatialPrior = dir.File("spatial.safetensors");
        temporalPrior = dir.File("temporal.safetensors");
        Prior(WordPrior.AdjectiveNoun, "adjective", "noun", 6, 7, seed: 1).Write(spatialPrior);
        Prior(WordPrior.AdverbVerb, "adverb", "verb", 5, 8, seed: 2).Write(temporalPrior);
    }

    public void Dispose() => dir.Dispose();

    // shift: a common component added to every word vector, as GloVe and LLM vectors have.
    private static WordPrior Prior(string kind, string first, string second, int n1, int n2, int seed, double shift = 0)
    {
        var random = new Random(seed);
        WordGroup Group(string name, int n) => new(name, Enumerable.Range(0, n).Select(i => $"{name}{i}").ToList(),
            Enumerable.Repeat(100L, n).ToList(), Enumerable.Range(0, n * 8).Select(_ => (float)(random.NextDouble() * 2 - 1 + shift)).ToArray(), 8);
        var edges = Enumerable.Range(0, Math.Min(n1, n2)).Select(i => ($"{first}{i}", $"{second}{(i + 1) % n2}")).ToList();
        return new WordPrior(kind, Group(first, n1), Group(second, n2), edges, new Dictionary<string, string>());
    }

    private TrainConfig Tiny(long steps, SweetTokConfig? model = null) => new()
    {
        Model = model ?? SweetTokContractTests.Tiny with { ProxyCodebookSize = 4096, FinetuneDecoder = false },
        Clip = new ClipSpec { Frames = 5, Fps = 5, Size = 16 },
        LearningRate = 1e-3,
        GradClip = 1.0,
        MaxSteps = steps,
        LogEvery = 1,
        EvalEvery = 1000,
        CheckpointEvery = 3,
        EmaDecay = 0.999,
        Seed = 42,
        Family = new SweetTokTrainingOptions
        {
            Proxy = proxy, SpatialPrior = spatialPrior, TemporalPrior = temporalPrior, EndLearningRate = 1e-3, CrossEntropyChunk = 1000,
        },
    };

    private static double[] Column(string run, string column)
    {
        var lines = File.ReadAllLines(Path.Combine(run, "train_log.csv"));
        var index = Array.IndexOf(lines[0].Split(','), column);
        Assert.True(index >= 0, $"no column {column}");
        return lines.Skip(1).Select(l => l.Split(',')[index] is { Length: > 0 } v ? double.Parse(v, CultureInfo.InvariantCulture) : double.NaN).ToArray();
    }

    [Fact]
    public void Stage1_CrossEntropyFalls_AndHeldOutEvaluationRuns()
    {
        var run = dir.File("stage1");
        using (var trainer = new Trainer(Tiny(40) with { CheckpointEvery = 40 }, run, data, data))
            trainer.Run();
        var ce = Column(run, "ce");
        Assert.Equal(40, ce.Length);
        var first = ce.Take(5).Average();
        var last = ce.TakeLast(5).Average();
        output.WriteLine($"stage-1 cross-entropy: first 5 steps {first:0.000}, last 5 {last:0.000}; accuracy last 5 {Column(run, "accuracy").TakeLast(5).Average():0.000}");
        Assert.True(first > 7.5, $"a fresh model should be near ln 4096 = 8.32, got {first:0.000}");
        Assert.True(last < first - 1.0, $"cross-entropy went from {first:0.000} to {last:0.000}");
        var eval = File.ReadAllLines(Path.Combine(run, "eval_log.csv"));
        Assert.Equal(2, eval.Length);   // header and step 0
        Assert.True(File.Exists(Path.Combine(run, "loss.png")));
        var header = Tessera.Checkpoints.SafeTensorsFile.ReadHeader(new CheckpointStore(run).Latest()!);
        Assert.Equal("sweettok", header.Metadata[ModelFamilies.FamilyKey]);
    }

    // The long run's collapse (docs/sweettok.md): with the GCN's raw rows every query of every clip ended on the same
    // words. Four unlike clips, word vectors with a common component, 30 steps: the queries must still tell every clip
    // apart and spread over the words (raw rows, the reference: 3 distinct clips, 8 distinct words; centred: 4, 19).
    [Fact]
    public void Stage1_CentredCodebooks_KeepUnlikeClipsOnDifferentWords()
    {
        var (distinctClips, distinctWords) = TrainOnFourClips(centred: true);
        output.WriteLine($"centred codebooks: {distinctClips} distinct word sequences of 4 clips, {distinctWords} distinct words");
        Assert.True(distinctClips == 4, $"only {distinctClips} of 4 unlike clips got different words");
        Assert.True(distinctWords >= 14, $"only {distinctWords} distinct words over 4 clips");
    }

    private (int DistinctClips, int DistinctWords) TrainOnFourClips(bool centred)
    {
        var videos = Directory.CreateDirectory(dir.File("four")).FullName;
        foreach (var (name, source) in new[] { ("a", "testsrc2"), ("b", "smptebars"), ("c", "mandelbrot"), ("d", "rgbtestsrc") })
            if (!File.Exists(Path.Combine(videos, name + ".mp4")))
                TestMedia.Ffmpeg("-f", "lavfi", "-i", $"{source}=size=48x40:rate=10", "-t", "3", "-pix_fmt", "yuv420p", Path.Combine(videos, name + ".mp4"));
        var four = VideoDataset.Load(videos);
        var spatial = dir.File("spatial-shared.safetensors");
        var temporal = dir.File("temporal-shared.safetensors");
        Prior(WordPrior.AdjectiveNoun, "adjective", "noun", 12, 16, seed: 3, shift: 2).Write(spatial);
        Prior(WordPrior.AdverbVerb, "adverb", "verb", 12, 16, seed: 4, shift: 2).Write(temporal);
        var model = SweetTokContractTests.Tiny with
        {
            ProxyCodebookSize = 4096, FinetuneDecoder = false, CentredCodebooks = centred, AdjectiveWords = 12, NounWords = 16, AdverbWords = 12, VerbWords = 16,
        };
        var config = Tiny(30, model) with
        {
            CheckpointEvery = 30,
            Family = (SweetTokTrainingOptions)Tiny(1).Family! with { SpatialPrior = spatial, TemporalPrior = temporal },
        };
        using var trainer = new Trainer(config, dir.File(centred ? "four-centred" : "four-raw"), four, null);
        trainer.Run();
        var sweet = (SweetTokModel)trainer.Model;
        using (var s = OfficialPriors.LoadSpatial(spatial))
        using (var t = OfficialPriors.LoadTemporal(temporal))
            sweet.RefineCodebooks(s.Graph, t.Graph);
        sweet.eval();
        var decoder = new ClipDecoder(four, config.Clip with { RandomCrop = false });
        var words = new List<long[]>();
        using var noGrad = TorchSharp.torch.no_grad();
        for (var v = 0; v < 4; v++)
        {
            using var clip = decoder.Decode(new ClipRequest(v, 0, 1.0, 0.5, 0.5));
            using var encoding = sweet.Encode(clip.unsqueeze(0) * 0.5);
            words.Add([.. encoding.Codes.Adjective.reshape(-1).data<long>(), .. encoding.Codes.Noun.reshape(-1).data<long>().Select(i => i + 100),
                .. encoding.Codes.Adverb.reshape(-1).data<long>().Select(i => i + 200), .. encoding.Codes.Verb.reshape(-1).data<long>().Select(i => i + 300)]);
        }
        return (words.Select(w => string.Join(",", w)).Distinct().Count(), words.SelectMany(w => w).Distinct().Count());
    }

    [Fact]
    public void Stage1_KilledAndResumed_GivesTheSameLossCurve()
    {
        var whole = dir.File("whole");
        using (var trainer = new Trainer(Tiny(8), whole, data, null))
            trainer.Run();

        var broken = dir.File("broken");
        using (var cancel = new CancellationTokenSource())
        using (var trainer = new Trainer(Tiny(8), broken, data, null))
            Assert.Throws<OperationCanceledException>(() => trainer.Run(new SyncProgress(p => { if (p.Step == 5) cancel.Cancel(); }), cancel.Token));
        Assert.Equal(3, new CheckpointStore(broken).List()[^1].Step);
        using (var trainer = new Trainer(Tiny(8), broken, data, null))
            trainer.Run();

        foreach (var column in new[] { "total", "ce", "quantizer_loss", "grad_norm", "lr" })
        {
            var a = Column(whole, column);
            var b = Column(broken, column);
            Assert.Equal(8, b.Length);
            for (var i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-6 * Math.Max(1, Math.Abs(a[i])), $"{column} at step {i + 1}: {a[i]} vs {b[i]}");
        }
    }

    // The curriculum's first step: the spatial branch learns the proxy's codes of single frames; the temporal branch
    // keeps its initial weights; stage 1 starts from the checkpoint; a checkpoint of it is no model file yet.
    [Fact]
    public void Stage0_SpatialPretraining_OnSingleFrames_CrossEntropyFalls_AndStage1StartsFromIt()
    {
        var options = (SweetTokTrainingOptions)Tiny(1).Family! with { Stage = 0 };
        var single = new ClipSpec { Frames = 1, Fps = 5, Size = 16 };
        var e = Assert.Throws<ConfigException>(() => new Trainer(Tiny(2) with { Family = options }, dir.File("five"), data, null));
        Assert.Contains("pre-trains its spatial branch on 1 frame of 16x16; the training clip is 5 frames", e.Message);

        var run = dir.File("stage0");
        using (var trainer = new Trainer(Tiny(40) with { Family = options, Clip = single, CheckpointEvery = 40 }, run, data, data))
            trainer.Run();
        var ce = Column(run, "ce");
        Assert.Equal(40, ce.Length);
        double first = ce.Take(5).Average(), last = ce.TakeLast(5).Average();
        output.WriteLine($"stage-0 cross-entropy: first 5 steps {first:0.000}, last 5 {last:0.000}");
        Assert.True(first > 7.5, $"a fresh model should be near ln 4096 = 8.32, got {first:0.000}");
        Assert.True(last < first - 1.0, $"cross-entropy went from {first:0.000} to {last:0.000}");
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "eval_log.csv")).Length);   // header and step 0, on single frames

        var init = new CheckpointStore(run).Latest()!;
        using (var trained = Tessera.Checkpoints.SafeTensorsFile.Load(init))
        using (var fresh = new SweetTokModel((SweetTokConfig)Tiny(1).Model))
        {
            Assert.Equal("0", trained.Metadata["sweettok_stage"]);
            SweetTokTrainingObjective.Initialise(fresh, 42);
            var state = fresh.state_dict();
            foreach (var prefix in new[] { "encoder.enc_temporal_transformer.", "quantize_temporal.", "decoder.dec_temporal_transformer.", "latent_temporal_tokens" })
                foreach (var name in state.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
                    Assert.True(trained[name].equal(state[name]).all().item<bool>(), $"{name} changed in spatial pre-training");
            Assert.False(trained["encoder.to_patch_emb_first_frame.2.weight"].equal(state["encoder.to_patch_emb_first_frame.2.weight"]).all().item<bool>(),
                "the spatial branch did not train");
        }
        var stage1 = dir.File("after0");
        using (var trainer = new Trainer(Tiny(2) with { InitFrom = init }, stage1, data, null))
            trainer.Run();
        Assert.Equal(2, Column(stage1, "ce").Length);
        var convert = Assert.Throws<ConfigException>(() => SweetTokTrainedExport.Export(new ConversionRequest { Checkpoint = init, Output = dir.File("m.safetensors") }, spatialPrior, temporalPrior, proxy));
        Assert.Contains("spatial pre-training (stage 0", convert.Message);
    }

    // The language-codebook ablation: plain learned codebooks of the same sizes, trained, resumed exactly, never converted.
    [Fact]
    public void LearnedCodebook_Ablation_TrainsItsRows_ResumesExactly_AndIsNotConverted()
    {
        var options = (SweetTokTrainingOptions)Tiny(1).Family! with { LearnedCodebook = true };
        TrainConfig Config() => Tiny(6) with { Family = options, CheckpointEvery = 2 };
        var whole = dir.File("learned");
        using (var trainer = new Trainer(Config(), whole, data, null))
            trainer.Run();
        var latest = new CheckpointStore(whole).Latest()!;
        using (var sd = Tessera.Checkpoints.SafeTensorsFile.Load(latest))
        {
            Assert.Equal([6L, 16], sd["learned_codebook.embedding_adjective"].shape);
            Assert.Equal([8L, 16], sd["learned_codebook.embedding_verb"].shape);
            Assert.True(sd.ContainsKey("model_ema.learned_codebookembedding_noun"), "the learned rows have no EMA copy");
        }
        var broken = dir.File("learned-broken");
        using (var cancel = new CancellationTokenSource())
        using (var trainer = new Trainer(Config(), broken, data, null))
            Assert.Throws<OperationCanceledException>(() => trainer.Run(new SyncProgress(p => { if (p.Step == 3) cancel.Cancel(); }), cancel.Token));
        using (var trainer = new Trainer(Config(), broken, data, null))
            trainer.Run();
        foreach (var column in new[] { "total", "ce", "quantizer_loss", "codebook" })
        {
            double[] a = Column(whole, column), b = Column(broken, column);
            for (var i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-6 * Math.Max(1, Math.Abs(a[i])), $"{column} at step {i + 1}: {a[i]} vs {b[i]}");
        }
        var convert = Assert.Throws<ConfigException>(() => SweetTokTrainedExport.Export(new ConversionRequest { Checkpoint = latest, Output = dir.File("m.safetensors") }, spatialPrior, temporalPrior, proxy));
        Assert.Contains("learned-codebook ablation", convert.Message);

        // Stage 2 freezes the rows its stage-1 checkpoint holds; without one it is refused.
        var second = options with { Stage = 2, DiscriminatorChannels = 8 };
        Assert.Contains("needs init_from", Assert.Throws<ConfigException>(() => new Trainer(Tiny(2) with { Family = second }, dir.File("learned-s2-bare"), data, null)).Message);
        var s2 = dir.File("learned-s2");
        using (var trainer = new Trainer(Tiny(2) with { Family = second, InitFrom = latest }, s2, data, null))
            trainer.Run();
        Assert.Equal(2, Column(s2, "rec").Length);
        var s2Latest = new CheckpointStore(s2).Latest()!;
        convert = Assert.Throws<ConfigException>(() => SweetTokTrainedExport.Export(new ConversionRequest { Checkpoint = s2Latest, Output = dir.File("m2.safetensors") }, spatialPrior, temporalPrior, proxy));
        Assert.Contains("learned-codebook ablation", convert.Message);
    }

    [Fact]
    public void Stage2_LowersPixelError_AndLeavesEncoderAndQuantisersUntouched()
    {
        var stage1 = dir.File("s1");
        using (var trainer = new Trainer(Tiny(3), stage1, data, null)) trainer.Run();
        var init = new CheckpointStore(stage1).Latest()!;

        var run = dir.File("s2");
        var options = (SweetTokTrainingOptions)Tiny(1).Family! with { Stage = 2, DiscriminatorStart = 15, DiscriminatorChannels = 8, EndLearningRate = 1e-3 };
        using (var trainer = new Trainer(Tiny(30) with { Family = options, InitFrom = init, CheckpointEvery = 30 }, run, data, null))
        {
            trainer.Run();
            using var before = Tessera.Checkpoints.SafeTensorsFile.Load(init);
            var after = trainer.Model.state_dict();
            foreach (var name in after.Keys.Where(n => n.StartsWith("encoder.", StringComparison.Ordinal) || n.StartsWith("quantize", StringComparison.Ordinal)
                         || n.StartsWith("pre_vq", StringComparison.Ordinal) || n.StartsWith("latent_", StringComparison.Ordinal)))
                Assert.True(before[name].equal(after[name]).all().item<bool>(), $"{name} changed in stage 2");
            Assert.False(before["decoder.mask_token"].equal(after["decoder.mask_token"]).all().item<bool>(), "the decoder did not train");
        }
        var rec = Column(run, "rec");
        Assert.Equal(30, rec.Length);
        output.WriteLine($"stage-2 MSE: first 5 steps {rec.Take(5).Average():0.0000}, last 5 {rec.TakeLast(5).Average():0.0000}");
        Assert.True(rec.TakeLast(5).Average() < 0.8 * rec.Take(5).Average(), $"MSE went from {rec.Take(5).Average():0.0000} to {rec.TakeLast(5).Average():0.0000}");
        Assert.True(double.IsFinite(Column(run, "disc_loss").Last()), "the discriminator never ran");
    }

    [Fact]
    public void Stage2_KilledAndResumed_GivesTheSameLossCurve()
    {
        var options = (SweetTokTrainingOptions)Tiny(1).Family! with { Stage = 2, DiscriminatorStart = 2, DiscriminatorChannels = 8 };
        TrainConfig Config() => Tiny(6) with { Family = options, CheckpointEvery = 2 };
        var whole = dir.File("whole2");
        using (var trainer = new Trainer(Config(), whole, data, null))
            trainer.Run();

        var broken = dir.File("broken2");
        using (var cancel = new CancellationTokenSource())
        using (var trainer = new Trainer(Config(), broken, data, null))
            Assert.Throws<OperationCanceledException>(() => trainer.Run(new SyncProgress(p => { if (p.Step == 3) cancel.Cancel(); }), cancel.Token));
        Assert.Equal(2, new CheckpointStore(broken).List()[^1].Step);
        using (var trainer = new Trainer(Config(), broken, data, null))
            trainer.Run();

        foreach (var column in new[] { "total", "rec", "g_loss", "disc_loss", "lecam" })
        {
            var a = Column(whole, column);
            var b = Column(broken, column);
            Assert.Equal(6, b.Length);
            for (var i = 2; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-6 * Math.Max(1, Math.Abs(a[i])), $"{column} at step {i + 1}: {a[i]} vs {b[i]}");
        }
    }

    [Fact]
    public void ProxyOnAnotherTokenGrid_IsRefusedNamingBothGrids()
    {
        // Patches of 4 put a 16² clip on a 4×4 grid; the proxy's 8× downsampling gives 2×2.
        var model = SweetTokContractTests.Tiny with { ProxyCodebookSize = 4096, FinetuneDecoder = false, PatchSize = 4, NumTemporalLatentTokens = 16 };
        var e = Assert.Throws<ConfigException>(() => new Trainer(Tiny(2, model), dir.File("grid"), data, null));
        Assert.Contains("2x2x2 token grid", e.Message);
        Assert.Contains("2x4x4", e.Message);
    }

    private sealed class SyncProgress(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }
}
