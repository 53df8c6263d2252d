using System.Text.Json;
using Tessera.Checkpoints;
using Tessera.Cli;
using Tessera.Tests.Models.SweetTok;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tessera.Tests.Cli;

/// <summary>
/// What a SweetTok user downloads, through the command line: the official state dict (pytorch_model.bin), a YAML
/// describing the golden geometry and the two official prior pickles → <c>convert</c> → <c>encode input.npy</c> →
/// <c>decode --output video.safetensors</c>, against the official code's indices (exact) and stage-2 video.
/// </summary>
[DisposeScopePerTest]
public sealed class SweetTokCliTests(ITestOutputHelper output)
{
    private const string R = SweetTokGolden.Root;
    private const string SpatialPrior = "priors/adj_noun_word_knowledge_qwen.pkl";
    private const string TemporalPrior = "priors/big_nlp_word_knowledge_clip_video_qwen.pkl";

    private static string Golden(string file) => TestPaths.Shared(R, file)!;

    internal static string Yaml => TestPaths.Fixture("SweetTok", "sweettok-golden-A.yaml");

    private static CliResult Convert(string output) => CliRunner.Run("convert", Golden("pytorch_model.bin"), "--config", Yaml,
        "--spatial-prior", Golden(SpatialPrior), "--temporal-prior", Golden(TemporalPrior), "--output", output);

    [SharedFact(R + "/pytorch_model.bin", R + "/" + SpatialPrior, R + "/" + TemporalPrior, R + "/input.npy", R + "/video_stage2.npy")]
    public void ConvertEncodeDecode_OfficialFiles_ReproduceTheReference()
    {
        using var dir = new TempDir();
        var model = dir.File("model.safetensors");
        var convert = Convert(model);
        Assert.True(convert.ExitCode == 0, convert.Error);

        var tokens = dir.File("tokens.safetensors");
        var encode = CliRunner.Run("encode", Golden("input.npy"), "-m", model, "-o", tokens);
        Assert.True(encode.ExitCode == 0, encode.Error);
        using (var t = SafeTensorsFile.Load(tokens))
        {
            Assert.Equal("sweettok", t.Metadata["model_family"]);
            foreach (var (group, reference) in new[] { ("adjective", "indices_adj"), ("noun", "indices_noun"), ("adverb", "indices_adverb"), ("verb", "indices_verb") })
            {
                using var expected = Npy.Load(Golden(reference + ".npy"));
                using var actual = t[group].reshape(1, -1);
                SweetTokGolden.AssertEqualIndices(expected, actual, group);
            }
            Assert.Equal([16L, 2L], t["adjective"].shape);
            Assert.Equal([16L], t["verb"].shape);
        }

        var video = dir.File("video.safetensors");
        var decode = CliRunner.Run("decode", tokens, "--output", video);
        Assert.True(decode.ExitCode == 0, decode.Error);
        using var decoded = SafeTensorsFile.Load(video);
        Assert.Contains("[-0.5, 0.5]", decoded.Metadata["layout"]);
        using var stage2 = Npy.Load(Golden("video_stage2.npy"));
        using var actualVideo = decoded["video"].unsqueeze(0);
        var maxAbs = SweetTokGolden.AssertClose(stage2, actualVideo, "decoded video");
        output.WriteLine($"decoded video vs video_stage2: max abs difference {maxAbs:E3}");
    }

    [SharedFact(R + "/pytorch_model.bin", R + "/" + SpatialPrior, R + "/" + TemporalPrior, R + "/codebook_adj.npy")]
    public void Convert_StoresTheReferenceCodebooksAndWords()
    {
        using var dir = new TempDir();
        var model = dir.File("model.safetensors");
        var convert = Convert(model);
        Assert.True(convert.ExitCode == 0, convert.Error);
        using var file = SafeTensorsFile.Load(model);
        foreach (var (group, reference) in new[] { ("adjective", "adj"), ("noun", "noun"), ("adverb", "adverb"), ("verb", "verb") })
        {
            using var expected = Npy.Load(Golden($"codebook_{reference}.npy"));
            SweetTokGolden.AssertClose(expected, file["language_codebook." + group], $"{group} codebook", 1e-6, 0);
        }
        using var words = JsonDocument.Parse(File.ReadAllText(Golden("words.json")));
        Assert.Equal(Strings(words.RootElement.GetProperty("spatial").GetProperty("adj_words")), JsonSerializer.Deserialize<string[]>(file.Metadata["words.adjective"]));
        Assert.Equal(Strings(words.RootElement.GetProperty("temporal").GetProperty("verb_words")), JsonSerializer.Deserialize<string[]>(file.Metadata["words.verb"]));
    }

    [SharedFact(R + "/pytorch_model.bin", R + "/" + SpatialPrior, R + "/" + TemporalPrior, R + "/indices_adj.npy", R + "/words.json")]
    public void Words_OnTheReferenceTokens_NameTheReferenceWords()
    {
        using var dir = new TempDir();
        var model = dir.File("model.safetensors");
        Assert.Equal(0, Convert(model).ExitCode);
        var tokens = dir.File("tokens.safetensors");
        var encode = CliRunner.Run("encode", Golden("input.npy"), "-m", model, "-o", tokens);
        Assert.True(encode.ExitCode == 0, encode.Error);

        var result = CliRunner.Run("words", tokens, "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        using var printed = JsonDocument.Parse(result.Out);
        using var words = JsonDocument.Parse(File.ReadAllText(Golden("words.json")));
        var spatialWords = words.RootElement.GetProperty("spatial");
        var temporalWords = words.RootElement.GetProperty("temporal");
        var groups = printed.RootElement.GetProperty("clips")[0].GetProperty("groups");
        Check(groups.GetProperty("spatial"), "indices_adj", "indices_noun", Strings(spatialWords.GetProperty("adj_words")), Strings(spatialWords.GetProperty("noun_words")));
        Check(groups.GetProperty("temporal"), "indices_adverb", "indices_verb", Strings(temporalWords.GetProperty("adverb_words")), Strings(temporalWords.GetProperty("verb_words")));

        var text = CliRunner.Run("words", tokens);
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("spatial (adjective adjective noun):", text.Out);

        void Check(JsonElement group, string firstFile, string secondFile, string[] firstWords, string[] secondWords)
        {
            using var first = Npy.Load(Golden(firstFile + ".npy"));
            using var second = Npy.Load(Golden(secondFile + ".npy"));
            var a = first.data<long>().ToArray();
            var n = second.data<long>().ToArray();
            var phrases = group.GetProperty("phrases").EnumerateArray().ToArray();
            Assert.Equal(n.Length, phrases.Length);
            for (var i = 0; i < n.Length; i++)
            {
                string[] expected = [firstWords[a[2 * i]], firstWords[a[2 * i + 1]], secondWords[n[i]]];
                Assert.Equal(i, phrases[i].GetProperty("position").GetInt32());
                Assert.Equal(expected, Strings(phrases[i].GetProperty("words")));
            }
        }
    }

    [SharedFact(R + "/pytorch_model.bin", R + "/weights.torchsharp.dat", R + "/proxy_weights.torchsharp.dat", R + "/" + SpatialPrior, R + "/" + TemporalPrior)]
    public void Convert_DatWeightsAndStage1PlusProxy_GiveTheSameModelFile()
    {
        using var dir = new TempDir();
        var fromBin = dir.File("bin.safetensors");
        Assert.Equal(0, Convert(fromBin).ExitCode);

        var fromDat = dir.File("dat.safetensors");
        var dat = CliRunner.Run("convert", Golden("weights.torchsharp.dat"), "--config", Yaml,
            "--spatial-prior", Golden(SpatialPrior), "--temporal-prior", Golden(TemporalPrior), "--output", fromDat);
        Assert.True(dat.ExitCode == 0, dat.Error);

        // A stage-1 checkpoint (no pixel_* entries) plus the OmniTokenizer proxy, whose decoder the stage-2 init copies.
        var stage1 = dir.File("stage1.safetensors");
        using (var full = CheckpointReader.Read(Golden("pytorch_model.bin")))
            SafeTensorsFile.Save(stage1, full.Where(kv => !kv.Key.StartsWith("pixel_", StringComparison.Ordinal)).Select(kv => (kv.Key, kv.Value)));
        var fromProxy = dir.File("proxy.safetensors");
        var proxy = CliRunner.Run("convert", stage1, "--config", Yaml, "--proxy", Golden("proxy_weights.torchsharp.dat"),
            "--spatial-prior", Golden(SpatialPrior), "--temporal-prior", Golden(TemporalPrior), "--output", fromProxy);
        Assert.True(proxy.ExitCode == 0, proxy.Error);

        using var reference = SafeTensorsFile.Load(fromBin);
        foreach (var other in new[] { fromDat, fromProxy })
        {
            using var file = SafeTensorsFile.Load(other);
            Assert.Equal(reference.Keys.Order(), file.Keys.Order());
            foreach (var (key, t) in reference)
                Assert.True(t.shape.SequenceEqual(file[key].shape) && t.eq(file[key]).all().item<bool>(), $"{Path.GetFileName(other)}: '{key}' differs from the conversion of pytorch_model.bin");
            Assert.Equal(reference.Metadata["model_config"], file.Metadata["model_config"]);
        }

        // --proxy on a checkpoint that already has its pixel path is refused.
        var twice = CliRunner.Run("convert", Golden("pytorch_model.bin"), "--config", Yaml, "--proxy", Golden("proxy_weights.torchsharp.dat"),
            "--spatial-prior", Golden(SpatialPrior), "--temporal-prior", Golden(TemporalPrior), "--output", dir.File("twice.safetensors"));
        Assert.Equal((int)ExitCode.CheckpointError, twice.ExitCode);
        Assert.Contains("stage-1", twice.Error);
    }

    [SharedFact(R + "/pytorch_model.bin", R + "/" + SpatialPrior, R + "/" + TemporalPrior, R + "/input.npy", R + "/indices_noun.npy")]
    public void EncodeWords_ABatchOfTwoClips_KeepsTheBatchAndGivesEachClipItsWords()
    {
        using var dir = new TempDir();
        var model = dir.File("model.safetensors");
        Assert.Equal(0, Convert(model).ExitCode);
        var batch = dir.File("batch.npy");
        using (var x = Npy.Load(Golden("input.npy")))
        using (var two = cat([x, x.flip(4)], 0)) Npy.Save(batch, two);

        var tokens = dir.File("tokens.safetensors");
        var encode = CliRunner.Run("encode", batch, "-m", model, "-o", tokens);
        Assert.True(encode.ExitCode == 0, encode.Error);
        using (var t = SafeTensorsFile.Load(tokens))
        {
            Assert.Equal("2", t.Metadata["batch"]);
            Assert.Equal([2L, 16L, 2L], t["adjective"].shape);
            using var expected = Npy.Load(Golden("indices_noun.npy"));
            SweetTokGolden.AssertEqualIndices(expected, t["noun"][0].unsqueeze(0), "noun of clip 0");
        }
        var words = CliRunner.Run("words", tokens, "--json");
        Assert.True(words.ExitCode == 0, words.Error);
        using var printed = JsonDocument.Parse(words.Out);
        Assert.Equal(2, printed.RootElement.GetProperty("clips").GetArrayLength());

        var video = dir.File("video.safetensors");
        Assert.Equal(0, CliRunner.Run("decode", tokens, "--output", video).ExitCode);
        using var decoded = SafeTensorsFile.Load(video);
        Assert.Equal([2L, 3L, 9L, 32L, 32L], decoded["video"].shape);
    }

    [SharedFact(R + "/pytorch_model.bin", R + "/" + TemporalPrior)]
    public void Convert_MalformedPrior_NamesTheFileAndFailsAsCheckpointError()
    {
        using var dir = new TempDir();
        var garbage = dir.File("garbage.pkl");
        File.WriteAllBytes(garbage, [0x80, 0x04, 0x95, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, (byte)'}', (byte)'(']);
        // A pickle that asks to call os.system: the restricted reader records the call and runs nothing.
        var hostile = dir.File("hostile.pkl");
        var marker = dir.File("pwned");
        File.WriteAllBytes(hostile, System.Text.Encoding.Latin1.GetBytes($"\u0080\u0002cos\nsystem\nq\u0000X{(char)(6 + marker.Length)}\u0000\u0000\u0000touch {marker}q\u0001\u0085q\u0002Rq\u0003."));
        foreach (var (bad, expected) in new[] { (garbage, "cannot read pickle"), (hostile, "not a dict") })
        {
            var model = dir.File("model.safetensors");
            var result = CliRunner.Run("convert", Golden("pytorch_model.bin"), "--config", Yaml,
                "--spatial-prior", bad, "--temporal-prior", Golden(TemporalPrior), "--output", model);
            Assert.Equal((int)ExitCode.CheckpointError, result.ExitCode);
            Assert.Contains(bad, result.Error);
            Assert.Contains(expected, result.Error);
            Assert.False(File.Exists(model));
        }
        Assert.False(File.Exists(marker));

        // The priors swapped: each names the dict it lacks.
        var swapped = CliRunner.Run("convert", Golden("pytorch_model.bin"), "--config", Yaml,
            "--spatial-prior", Golden(TemporalPrior), "--temporal-prior", Golden(TemporalPrior), "--output", dir.File("m.safetensors"));
        Assert.Equal((int)ExitCode.CheckpointError, swapped.ExitCode);
        Assert.Contains("adj_code_book_num", swapped.Error);
    }

    [Fact]
    public void Convert_PriorOptionForAVidTokPreset_IsAUsageError()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("convert", dir.File("missing.ckpt"), "--preset", "vidtok_fsq_causal_488_4096",
            "--spatial-prior", dir.File("x.pkl"), "--output", dir.File("m.safetensors"));
        Assert.Equal((int)ExitCode.UsageError, result.ExitCode);
        Assert.Contains("--spatial-prior", result.Error);
        Assert.Contains("vidtok", result.Error);
    }

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();
}
