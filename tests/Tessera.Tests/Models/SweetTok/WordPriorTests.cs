using System.Text.Json;
using Tessera.Checkpoints;
using Tessera.Models.SweetTok.Priors;
using Tessera.Tests.Cli;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>
/// <c>tessera codebook build</c> and its library: a tiny WordNet-like database and tiny vectors written here, the
/// choice of words by count, the excluded nouns, WordNet and nearest-neighbour edges, determinism, the safetensors
/// round trip, LLM embedding vectors, and errors that name the malformed file.
/// </summary>
[DisposeScopePerTest]
public sealed class WordPriorTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private const string Header = "  1 This is a licence header line, as in WordNet's own index files.\n";

    /// <summary>Writes index.*, data.* (and optionally cntlist.rev) and a GloVe text file; returns (wordnet dir, vectors file).</summary>
    private (string WordNet, string Vectors) WriteFixture(bool cntlist = false)
    {
        var wn = Path.Combine(dir.Path, "wordnet");
        Directory.CreateDirectory(wn);
        // lemma pos synset_cnt p_cnt [ptr...] sense_cnt tagsense_cnt synset_offset...
        File.WriteAllText(Path.Combine(wn, "index.adj"), Header +
            "big a 1 3 ! & = 1 30 00000003\n" +
            "blue a 1 0 1 20 00000002\n" +
            "old_fashioned a 1 0 1 90 00000005\n" +
            "red a 1 1 & 1 25 00000001\n" +
            "small a 1 1 ! 1 28 00000004\n" +
            "zesty a 1 0 1 50 00000006\n");
        File.WriteAllText(Path.Combine(wn, "index.noun"), Header +
            "cat n 1 0 1 40 00000101\n" +
            "dog n 1 0 1 45 00000102\n" +
            "house n 1 0 1 12 00000103\n" +
            "red n 1 0 1 99 00000104\n" +
            "size n 1 1 = 1 8 00000105\n");
        File.WriteAllText(Path.Combine(wn, "index.adv"), Header +
            "fast r 1 0 1 7 00000201\n" +
            "quickly r 1 1 ! 1 9 00000202\n" +
            "slowly r 1 1 ! 1 6 00000203\n");
        File.WriteAllText(Path.Combine(wn, "index.verb"), Header +
            "eat v 1 0 1 11 00000301\n" +
            "fast v 1 0 1 3 00000302\n" +
            "run v 1 1 ! 1 30 00000303\n" +
            "walk v 1 1 ! 1 20 00000304\n");
        // synset_offset lex_filenum ss_type w_cnt(hex) [word lex_id]... p_cnt [symbol offset pos source/target]... | gloss
        File.WriteAllText(Path.Combine(wn, "data.adj"), Header +
            "00000001 00 a 01 red 0 001 & 00000002 a 0000 | a colour\n" +
            "00000002 00 s 01 blue 0 000 | a colour\n" +
            "00000003 00 a 01 big 0 002 ! 00000004 a 0101 = 00000105 n 0000 | large\n" +
            "00000004 00 a 01 small 0 001 ! 00000003 a 0101 | little\n" +
            "00000005 00 a 01 old_fashioned 0 000 | dated\n" +
            "00000006 00 a 01 zesty(a) 0 000 | lively\n");
        File.WriteAllText(Path.Combine(wn, "data.noun"), Header +
            "00000101 05 n 01 cat 0 000 | an animal\n" +
            "00000102 05 n 01 dog 0 000 | an animal\n" +
            "00000103 06 n 01 house 0 000 | a building\n" +
            "00000104 07 n 01 red 0 000 | a colour\n" +
            "00000105 07 n 01 size 0 001 = 00000003 a 0000 | magnitude\n");
        File.WriteAllText(Path.Combine(wn, "data.adv"), Header +
            "00000201 02 r 01 fast 0 000 | quickly\n" +
            "00000202 02 r 01 quickly 0 001 ! 00000203 r 0101 | fast\n" +
            "00000203 02 r 01 slowly 0 001 ! 00000202 r 0101 | slow\n");
        File.WriteAllText(Path.Combine(wn, "data.verb"), Header +
            "00000301 34 v 01 eat 0 000 00 | take food\n" +
            "00000302 34 v 01 fast 0 000 00 | not eat\n" +
            "00000303 38 v 01 run 0 001 ! 00000304 v 0101 00 | move fast\n" +
            "00000304 38 v 01 walk 0 001 ! 00000303 v 0101 00 | move slowly\n");
        if (cntlist)
            File.WriteAllText(Path.Combine(wn, "cntlist.rev"),
                "blue%3:00:00:: 1 70\nblue%5:00:00:colour:00 2 5\nred%3:00:00:: 1 3\ncat%1:05:00:: 1 2\n");
        var vectors = dir.File("vectors.txt");
        // "zesty" has no vector: it is skipped even though it is frequent.
        File.WriteAllText(vectors, string.Join('\n', new[]
        {
            "the 0.1 0.1 0.1 0.1", "red 1 0 0 0.1", "blue 0.9 0.1 0 0", "big 0 1 0 0", "small 0 -1 0.1 0", "old_fashioned 1 1 1 1",
            "cat 0.1 0.2 1 0", "dog 0.2 0.1 1 0", "house 0 0.9 0.3 0", "size 0 1 0.1 0.2",
            "fast 0.5 0.5 0 1", "quickly 0.6 0.4 0 1", "slowly -0.6 0.4 0 1", "eat 0 0 1 1", "run 1 0 0.2 1", "walk 0.8 0.1 0.2 1",
        }) + "\n");
        return (wn, vectors);
    }

    private static (WordPrior Spatial, WordPrior Temporal) Build(string wn, string vectors, WordPriorOptions options)
    {
        var lex = WordNetLexicon.Load(wn);
        return WordPriorBuilder.Build(lex, GloveVectors.Load(vectors, WordPriorBuilder.Candidates(lex)), options);
    }

    [Fact]
    public void Build_KeepsTheMostFrequentSingleWordsWithVectors_AndLeavesAdjectivesOutOfTheNouns()
    {
        var (wn, vectors) = WriteFixture();
        var (spatial, temporal) = Build(wn, vectors, new WordPriorOptions { Adjectives = 3, Nouns = 10, Adverbs = 2, Verbs = 10, Edges = PriorEdgeSource.WordNet });

        Assert.Equal(WordPrior.AdjectiveNoun, spatial.Kind);
        Assert.Equal(["big", "small", "red"], spatial.First.Words); // old_fashioned: a phrase; zesty: no vector
        Assert.Equal([30L, 28, 25], spatial.First.Counts);
        Assert.Equal(["dog", "cat", "house", "size"], spatial.Second.Words); // "red" is a chosen adjective
        Assert.Equal(["quickly", "fast"], temporal.First.Words);
        Assert.Equal(["run", "walk", "eat", "fast"], temporal.Second.Words);
        Assert.Equal(4, spatial.Dim);
        Assert.Equal([0f, -1f, 0.1f, 0f], spatial.First.Vector(1).ToArray());
    }

    [Fact]
    public void BuiltPrior_KeepsEveryChosenWordInItsGraph_WhileTheOfficialThresholdDropsRareOnes()
    {
        var (wn, vectors) = WriteFixture();
        var (spatial, _) = Build(wn, vectors, new WordPriorOptions { Adjectives = 3, Nouns = 10, Adverbs = 2, Verbs = 10, Edges = PriorEdgeSource.WordNet });
        Assert.Equal("0", spatial.Info[WordPriorGraph.MinCountKey]);
        using (var built = spatial.ToWordGraph())
            Assert.Equal(spatial.First.Count + spatial.Second.Count, built.Features.shape[0]);

        var official = spatial with { Info = spatial.Info.Where(kv => kv.Key != WordPriorGraph.MinCountKey).ToDictionary() };
        var rare = official.First.Counts.Count(c => c < WordPriorGraph.MinAdjectiveNounCount)
                   + official.Second.Counts.Count(c => c < WordPriorGraph.MinAdjectiveNounCount);
        Assert.True(rare > 0, "the fixture needs rare words for this test to mean anything");
        using var graph = official.ToWordGraph();
        Assert.Equal(spatial.First.Count + spatial.Second.Count - rare, graph.Features.shape[0]);
    }

    [Fact]
    public void BuiltPriors_Convert_ThenWordsOfRealFrames_UseTheBuiltVocabulary()
    {
        var (wn, vectors) = WriteFixture();
        var priors = dir.File("built");
        var build = CliRunner.Run("codebook", "build", "--wordnet", wn, "--vectors", vectors, "--adjectives", "3", "--nouns", "4",
            "--adverbs", "2", "--verbs", "4", "--output-dir", priors);
        Assert.True(build.ExitCode == 0, build.Error);
        var spatialPath = Path.Combine(priors, "adjective_noun.safetensors");
        var temporalPath = Path.Combine(priors, "adverb_verb.safetensors");
        var spatial = WordPrior.Read(spatialPath);
        var temporal = WordPrior.Read(temporalPath);

        // Random weights of the golden-A geometry with the built priors' 4-d vectors: what a user trains from.
        var yaml = Tessera.Tests.Cli.SweetTokCliTests.Yaml;
        var config = Tessera.Models.SweetTok.SweetTokYaml.Load(yaml) with
        {
            SpatialPriorDim = 4, TemporalPriorDim = 4,
            AdjectiveWords = spatial.First.Count, NounWords = spatial.Second.Count,
            AdverbWords = temporal.First.Count, VerbWords = temporal.Second.Count,
        };
        var weights = dir.File("weights.safetensors");
        using (var model = new Tessera.Models.SweetTok.SweetTokModel(config)) SafeTensorsFile.Save(weights, model.state_dict().Select(kv => (kv.Key, kv.Value)));
        var modelFile = dir.File("model.safetensors");
        var convert = CliRunner.Run("convert", weights, "--config", yaml, "--spatial-prior", spatialPath, "--temporal-prior", temporalPath,
            "--output", modelFile);
        Assert.True(convert.ExitCode == 0, convert.Error);

        var frames = TestPaths.Fixture("VidTok", "parity", "v10_kl4_ch12", "frames0");
        // 17 real 48x32 frames: resized to the model's fixed 32x32 and cut into one whole 9-frame clip.
        var run = CliRunner.Run("words", frames, "-m", modelFile, "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("32x32", run.Error);
        Assert.Contains("8 trailing frames left out", run.Error);
        using var doc = JsonDocument.Parse(run.Out);
        var groups = doc.RootElement.GetProperty("clips")[0].GetProperty("groups");
        var nouns = spatial.Second.Words.Except(spatial.First.Words).ToList();
        foreach (var (group, first, second) in new[] { ("spatial", spatial.First.Words, (IReadOnlyList<string>)nouns), ("temporal", temporal.First.Words, temporal.Second.Words) })
        {
            var phrases = groups.GetProperty(group).GetProperty("phrases").EnumerateArray()
                .Select(p => p.GetProperty("words").EnumerateArray().Select(w => w.GetString()!).ToArray()).ToList();
            Assert.NotEmpty(phrases);
            Assert.All(phrases, words =>
            {
                Assert.Equal(3, words.Length);
                Assert.Contains(words[0], first);
                Assert.Contains(words[1], first);
                Assert.Contains(words[2], second);
            });
        }
    }

    [Fact]
    public void WordNetEdges_FollowTheRelationsBetweenChosenWords()
    {
        var (wn, vectors) = WriteFixture();
        var (spatial, temporal) = Build(wn, vectors, new WordPriorOptions { Adjectives = 4, Nouns = 10, Adverbs = 3, Verbs = 10, Edges = PriorEdgeSource.WordNet });
        static HashSet<string> Pairs(WordPrior p) => p.Edges.Select(e => string.CompareOrdinal(e.A, e.B) < 0 ? $"{e.A}-{e.B}" : $"{e.B}-{e.A}").ToHashSet();
        // big!small (lexical antonym), big=size (attribute, both directions, one edge), red&blue (similar to).
        Assert.Equal(["big-size", "big-small", "blue-red"], Pairs(spatial).Order(StringComparer.Ordinal));
        Assert.Equal(["quickly-slowly", "run-walk"], Pairs(temporal).Order(StringComparer.Ordinal));
        Assert.Equal("3", spatial.Info["wordnet_edges"]);
    }

    [Fact]
    public void KnnEdges_LinkEachWordToItsNearestWordsInTheOtherGroup()
    {
        var (wn, vectors) = WriteFixture();
        var (spatial, temporal) = Build(wn, vectors, new WordPriorOptions { Adjectives = 3, Nouns = 4, Adverbs = 3, Verbs = 4, Edges = PriorEdgeSource.Knn, Neighbours = 1 });
        var nouns = spatial.Second.Words.ToHashSet();
        Assert.All(spatial.Edges, e => Assert.True(nouns.Contains(e.A) ^ nouns.Contains(e.B), $"{e.A}-{e.B} is not across the groups"));
        foreach (var adjective in spatial.First.Words)
            Assert.Contains(spatial.Edges, e => e.A == adjective || e.B == adjective);
        // "fast" is an adverb and a verb: its edges use one word, never a (fast, fast) self-loop.
        Assert.DoesNotContain(temporal.Edges, e => e.A == e.B);
    }

    [Fact]
    public void Write_IsDeterministic_AndReadGivesTheSamePrior()
    {
        var (wn, vectors) = WriteFixture(cntlist: true);
        var options = new WordPriorOptions { Adjectives = 4, Nouns = 4, Adverbs = 3, Verbs = 4, Neighbours = 2 };
        var (a, _) = Build(wn, vectors, options);
        var (b, _) = Build(wn, vectors, options);
        a.Write(dir.File("a.safetensors"));
        b.Write(dir.File("b.safetensors"));
        Assert.Equal(File.ReadAllBytes(dir.File("a.safetensors")), File.ReadAllBytes(dir.File("b.safetensors")));

        Assert.Equal(["blue", "red", "big", "small"], a.First.Words); // cntlist.rev: blue 70 + 5, red 3, others 0 (vector rank breaks ties)
        Assert.Equal([75L, 3, 0, 0], a.First.Counts);
        var read = WordPrior.Read(dir.File("a.safetensors"));
        Assert.Equal(a.Kind, read.Kind);
        foreach (var (x, y) in new[] { (a.First, read.First), (a.Second, read.Second) })
        {
            Assert.Equal(x.Name, y.Name);
            Assert.Equal(x.Words, y.Words);
            Assert.Equal(x.Counts, y.Counts);
            Assert.Equal(x.Vectors, y.Vectors);
        }
        Assert.Equal(a.Edges, read.Edges);
        Assert.Equal(a.Info["vectors"], read.Info["vectors"]);
    }

    [Fact]
    public void MalformedInputs_GiveErrorsNamingTheFile()
    {
        var (wn, vectors) = WriteFixture();
        File.AppendAllText(Path.Combine(wn, "index.verb"), "jump v one 0 1 0 00000305\n");
        var e = Assert.Throws<InvalidInputException>(() => WordNetLexicon.Load(wn));
        Assert.Contains(Path.Combine(wn, "index.verb") + ":6", e.Message);

        File.WriteAllText(dir.File("bad.txt"), "red 1 0 0 0\nblue 1 0\n");
        e = Assert.Throws<InvalidInputException>(() => GloveVectors.Load(dir.File("bad.txt")));
        Assert.Contains(dir.File("bad.txt") + ":2", e.Message);

        File.WriteAllText(dir.File("bad.json"), "{\"dimensions\": 2, \"vectors\": {\"red\": [1, 0, 1, 0], \"blue\": [1");
        e = Assert.Throws<InvalidInputException>(() => GloveVectors.Load(dir.File("bad.json")));
        Assert.Contains(dir.File("bad.json"), e.Message);

        File.WriteAllText(dir.File("model.safetensors"), "not safetensors");
        Assert.ThrowsAny<TesseraException>(() => WordPrior.Read(dir.File("model.safetensors")));
        e = Assert.Throws<InvalidInputException>(() => WordNetLexicon.Load(dir.File("nowhere")));
        Assert.Contains(dir.File("nowhere"), e.Message);
    }

    [Fact]
    public void WinkJson_IsRead()
    {
        File.WriteAllText(dir.File("wink.json"),
            "{\"precision\":8,\"dimensions\":2,\"words\":[\"the\",\"red\"],\"vectors\":{\"the\":[0.5,0.5,0.7,0],\"red\":[1,-2,2.2,1]},\"unkVector\":[0,0,0,-1]}");
        var v = GloveVectors.Load(dir.File("wink.json"), new HashSet<string> { "red" });
        Assert.Equal(2, v.Dim);
        Assert.Equal([1f, -2f], v.Get("red")!);
        Assert.Null(v.Get("the"));
        Assert.Equal(1, v.Rank("red"));
    }

    [Fact]
    public void EmbeddingMatrix_GivesTheWordsTokenRowOrTheMeanOfItsSubTokens()
    {
        File.WriteAllText(dir.File("tokenizer.json"),
            "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"Ġred\":0,\"Ġbi\":1,\"g\":2,\"Ġblue\":3,\"x\":4}}}");
        using (var m = arange(10, dtype: ScalarType.Float32).reshape(5, 2).to_type(ScalarType.BFloat16))
            SafeTensorsFile.Save(dir.File("llm.safetensors"), [("model.embed_tokens.weight", m), ("lm_head.weight", m)]);
        using var v = EmbeddingMatrixVectors.Load(dir.File("llm.safetensors"), dir.File("tokenizer.json"));
        Assert.Equal(2, v.Dim);
        Assert.Equal([0L], v.TokenIds("red")!);
        Assert.Equal([1L, 2], v.TokenIds("big")!);
        Assert.Equal([3f, 4f], v.Get("big")!); // mean of rows [2, 3] and [4, 5]
        Assert.Null(v.Get("cat"));
    }

    [Fact]
    public void Cli_CodebookBuild_WritesBothPriors()
    {
        var (wn, vectors) = WriteFixture();
        var outDir = dir.File("priors");
        var run = CliRunner.Run("codebook", "build", "--wordnet", wn, "--vectors", vectors, "--adjectives", "3", "--nouns", "3",
            "--adverbs", "2", "--verbs", "3", "--neighbours", "1", "--output-dir", outDir);
        Assert.True(run.ExitCode == 0, run.Error);
        var spatial = WordPrior.Read(Path.Combine(outDir, "adjective_noun.safetensors"));
        var temporal = WordPrior.Read(Path.Combine(outDir, "adverb_verb.safetensors"));
        Assert.Equal(3, spatial.First.Count);
        Assert.Equal(3, temporal.Second.Count);
        Assert.Contains("adjective_noun.safetensors: 3 adjectives + 3 nouns", run.Out);

        var bad = CliRunner.Run("codebook", "build", "--wordnet", wn, "--vectors", vectors, "--edges", "nearby", "--output-dir", outDir);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("--edges", bad.Error);
        var missing = CliRunner.Run("codebook", "build", "--wordnet", wn, "--vectors", dir.File("none.txt"), "--output-dir", outDir);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains(dir.File("none.txt"), missing.Error);
    }
}
