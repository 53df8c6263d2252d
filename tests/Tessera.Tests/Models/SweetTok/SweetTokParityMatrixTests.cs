using System.Text.Json;
using Tessera.Checkpoints;
using Tessera.Models.SweetTok;
using Tessera.Models.SweetTok.Priors;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>
/// SweetTok parity beyond the shared golden (Fixtures/SweetTok/parity, made with the official code; PROVENANCE.md):
/// batch 2, spatial block strings with window layers and window sizes 2, 3 and 4, head widths 4, 8 and 12 (with
/// heads × dim_head ≠ dim), 4×4, 6×6 and 8×8 patch grids with 4, 9 and 16 spatial queries, 3 and 4 latent frames,
/// a decoder block string with window layers and temporal hooks after layers 0, 2 and 3. The fixtures are
/// committed, so these run without ../shared. Indices exact; float outputs 1e-4 + 1e-4·|ref|.
/// </summary>
[DisposeScopePerTest]
public sealed class SweetTokParityMatrixTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(TestPaths.Fixture("SweetTok", "parity")).Where(d => File.Exists(Path.Combine(d, "meta.json"))).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gcn_MatchesReferenceCodebooks(string name)
    {
        var c = new SweetTokParityCase(name);
        using var model = c.BuildModel();
        using var scope = NewDisposeScope();
        foreach (var (books, first, second) in new[] { (model.SpatialCodebooks!, "adj", "noun"), (model.TemporalCodebooks!, "adverb", "verb") })
        {
            Close($"{name} codebook_{first}", c.Load($"codebook_{first}.npy"), books.First, 1e-6, 1e-5);
            Close($"{name} codebook_{second}", c.Load($"codebook_{second}.npy"), books.Second, 1e-6, 1e-5);
        }
    }

    /// <summary>
    /// The case's synthetic pickles, stored as Tessera word priors (unfiltered), give exactly the graph the official
    /// quantiser built from them: count filter, excluded nouns, dropped pairs, duplicates, self-loops, the word that
    /// is both an adverb and a verb. The codebooks refined from that graph then match the reference.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void WordPriorFile_GivesTheQuantisersGraphAndCodebooks(string name)
    {
        var c = new SweetTokParityCase(name);
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        using var spatial = WordPrior.Read(Path.Combine(c.Dir, "spatial_prior.safetensors")).ToWordGraph();
        using var temporal = WordPrior.Read(Path.Combine(c.Dir, "temporal_prior.safetensors")).ToWordGraph();
        foreach (var (branch, graph) in new[] { ("spatial", spatial), ("temporal", temporal) })
        {
            using var want = c.Graph(branch);
            Assert.Equal(want.FirstCount, graph.FirstCount);
            Assert.True(want.Features.shape.SequenceEqual(graph.Features.shape) && want.Features.eq(graph.Features).all().item<bool>(), $"{name} {branch}: node features differ");
            SweetTokGolden.AssertEqualIndices(want.EdgeIndex, graph.EdgeIndex, $"{name} {branch} edges");
        }
        using var model = c.BuildModel();
        model.RefineCodebooks(spatial, temporal);
        Close($"{name} codebook_adj (from the prior file)", c.Load("codebook_adj.npy"), model.SpatialCodebooks!.First, 1e-6, 1e-5);
        Close($"{name} codebook_verb (from the prior file)", c.Load("codebook_verb.npy"), model.TemporalCodebooks!.Second, 1e-6, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_ReproducesEveryIndexGroupAndTheLatents(string name)
    {
        var c = new SweetTokParityCase(name);
        using var model = c.BuildModel();
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var x = c.Load("input.npy");
        Assert.Equal(c.Batch, x.shape[0]);

        var sd = model.state_dict();
        using (var latents = model.Encoder.forward(x, sd["latent_spatial_tokens"], sd["latent_temporal_tokens"]))
        {
            Close($"{name} enc_spatial_latent", c.Load("enc_spatial_latent.npy"), latents.Spatial);
            Close($"{name} enc_temporal_latent", c.Load("enc_temporal_latent.npy"), latents.Temporal);
        }
        var (zs, zt) = model.EncodeLatents(x);
        Close($"{name} quant_in_spatial", c.Load("quant_in_spatial.npy"), zs);
        Close($"{name} quant_in_temporal", c.Load("quant_in_temporal.npy"), zt);

        using var encoding = model.Encode(x);
        var codes = encoding.Codes;
        long b = codes.Noun.shape[0];
        SweetTokGolden.AssertEqualIndices(c.Load("indices_adj.npy"), codes.Adjective.reshape(b, -1), $"{name} adjective");
        SweetTokGolden.AssertEqualIndices(c.Load("indices_noun.npy"), codes.Noun, $"{name} noun");
        SweetTokGolden.AssertEqualIndices(c.Load("indices_adverb.npy"), codes.Adverb.reshape(b, -1), $"{name} adverb");
        SweetTokGolden.AssertEqualIndices(c.Load("indices_verb.npy"), codes.Verb, $"{name} verb");
        SweetTokGolden.AssertEqualIndices(c.Load("indices_all.npy"), codes.Flat(), $"{name} all");

        Close($"{name} zq_spatial", c.Load("zq_spatial.npy").squeeze(2), encoding.SpatialQuantized);
        Close($"{name} zq_temporal", c.Load("zq_temporal.npy").squeeze(2), encoding.TemporalQuantized);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_MatchesReferenceLogitsAndStage2Video(string name)
    {
        var c = new SweetTokParityCase(name);
        using var model = c.BuildModel();
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        using var encoding = model.Encode(c.Load("input.npy"));

        var (decS, decT) = model.DecoderInputs(encoding.SpatialQuantized, encoding.TemporalQuantized);
        Close($"{name} dec_in_spatial", c.Load("dec_in_spatial.npy"), decS);
        Close($"{name} dec_in_temporal", c.Load("dec_in_temporal.npy"), decT);
        var logits = model.DecodeLogits(encoding.SpatialQuantized, encoding.TemporalQuantized);
        Close($"{name} dec_logits", c.Load("dec_logits.npy"), logits);
        Close($"{name} video_stage2", c.Load("video_stage2.npy"), model.DecodePixels(logits));
        Close($"{name} video_stage2 (decoded from the codes alone)", c.Load("video_stage2.npy"), model.Decode(encoding.Codes));
    }

    private void Close(string what, Tensor expected, Tensor actual, double atol = 1e-4, double rtol = 1e-4) =>
        output.WriteLine($"{what}: max abs diff {SweetTokGolden.AssertClose(expected, actual, what, atol, rtol):E2}");
}

/// <summary>One committed SweetTok parity case: its config from meta.json, the redrawn weights and the word graphs.</summary>
internal sealed class SweetTokParityCase
{
    public SweetTokParityCase(string name)
    {
        Name = name;
        Dir = TestPaths.Fixture("SweetTok", "parity", name);
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "meta.json")));
        var spec = meta.RootElement.GetProperty("spec");
        var graph = meta.RootElement.GetProperty("graph");
        int I(string key) => spec.GetProperty(key).GetInt32();
        string S(string key) => spec.GetProperty(key).GetString()!;
        var grid = I("image_size") / I("patch_size");
        Batch = I("batch");
        Config = new SweetTokConfig
        {
            Name = $"sweettok-parity-{name}",
            ImageSize = I("image_size"),
            Frames = I("frames"),
            PatchSize = I("patch_size"),
            TemporalPatchSize = I("temporal_patch_size"),
            Dim = I("dim"),
            Heads = I("heads"),
            DimHead = I("dim_head"),
            WindowSize = I("window_size"),
            EncBlock = S("enc_block"),
            DecBlock = S("dec_block"),
            TemporalDepth = I("temporal_depth"),
            DecTemporalLayers = [.. spec.GetProperty("dec_layers").EnumerateArray().Select(e => e.GetInt32())],
            NumSpatialLatentTokens = I("num_spatial"),
            NumTemporalLatentTokens = grid * grid,
            EDim = I("dim") / 2,
            SpatialPriorDim = I("prior_dim"),
            TemporalPriorDim = I("prior_dim"),
            ProxyCodebookSize = I("codebook_size"),
            ProxyCodeDim = I("proxy_code_dim"),
            FinetuneDecoder = true,
            PixBlock = S("pix_block"),
            PixTemporalDepth = I("pix_temporal_depth"),
            PixDim = I("pix_dim"),
            PixHeads = I("pix_heads"),
            PixDimHead = I("pix_dim_head"),
        };
        Config.Validate();
        SpatialFirst = graph.GetProperty("spatial").GetProperty("first_part_len").GetInt64();
        TemporalFirst = graph.GetProperty("temporal").GetProperty("first_part_len").GetInt64();
    }

    public string Name { get; }
    public string Dir { get; }
    public int Batch { get; }
    public SweetTokConfig Config { get; }
    public long SpatialFirst { get; }
    public long TemporalFirst { get; }

    public Tensor Load(string file) => Npy.Load(Path.Combine(Dir, file));

    public WordGraph Graph(string branch) =>
        new(Load($"{branch}_graph_x.npy"), Load($"{branch}_graph_edge_index.npy"), branch == "spatial" ? SpatialFirst : TemporalFirst);

    public SweetTokModel BuildModel()
    {
        var model = new SweetTokModel(Config);
        using (var weights = TorchSharpDat.Load(Path.Combine(Dir, "weights.torchsharp.dat")))
            StateDictLoader.LoadInto(model, weights, $"{Name}/weights.torchsharp.dat");
        model.eval();
        using var spatial = Graph("spatial");
        using var temporal = Graph("temporal");
        model.RefineCodebooks(spatial, temporal);
        return model;
    }
}
