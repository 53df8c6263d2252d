using Tessera.Models;
using Tessera.Models.SweetTok;
using Tessera.Tests.Cli;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>
/// The pieces a SweetTok download is read with: the official prior pickles (against the graphs the official quantiser
/// built from them) and the official YAML with Tessera's <c>tessera:</c> section (against the golden geometry).
/// </summary>
[DisposeScopePerTest]
public sealed class SweetTokLoadingTests
{
    private const string R = SweetTokGolden.Root;

    [SharedTheory(R + "/priors/adj_noun_word_knowledge_qwen.pkl", R + "/priors/big_nlp_word_knowledge_clip_video_qwen.pkl", R + "/spatial_graph_x.npy")]
    [InlineData("spatial", "adj_noun_word_knowledge_qwen.pkl")]
    [InlineData("temporal", "big_nlp_word_knowledge_clip_video_qwen.pkl")]
    public void OfficialPriors_BuildTheReferenceGraph(string branch, string pickle)
    {
        var golden = new SweetTokGolden();
        var path = Path.Combine(golden.Dir, "priors", pickle);
        using var prior = branch == "spatial" ? OfficialPriors.LoadSpatial(path) : OfficialPriors.LoadTemporal(path);
        using var features = golden.Load($"{branch}_graph_x.npy");
        using var edges = golden.Load($"{branch}_graph_edge_index.npy");
        Assert.Equal(branch == "spatial" ? golden.SpatialFirst : golden.TemporalFirst, prior.Graph.FirstCount);
        Assert.Equal(features.shape, prior.Graph.Features.shape);
        Assert.True(features.eq(prior.Graph.Features).all().item<bool>(), $"{branch} word vectors differ from the reference graph");
        SweetTokGolden.AssertEqualIndices(edges, prior.Graph.EdgeIndex, $"{branch} edges");
        Assert.Equal(prior.Graph.NodeCount, prior.FirstWords.Count + prior.SecondWords.Count);
    }

    [SharedFact(R + "/meta.json")]
    public void Yaml_DescribesTheGoldenGeometry()
    {
        var golden = new SweetTokGolden();
        var config = SweetTokYaml.Load(SweetTokCliTests.Yaml);
        // The prior widths and vocabulary come from the pickles at conversion, the name from the file.
        var expected = golden.Config with { Name = config.Name, SpatialPriorDim = config.SpatialPriorDim, TemporalPriorDim = config.TemporalPriorDim };
        Assert.Equal(expected, config);
        Assert.Equal("sweettok-golden-A", config.Name);
    }

    [Theory]
    [InlineData("dim: 64", "dimm: 64", "unknown key 'dimm'")]
    [InlineData("spatial_depth: 4", "spatial_depth: 3", "spatial_depth 3 disagrees")]
    [InlineData("grid_size: 4", "grid_size: 8", "grid_size 8 disagrees")]
    [InlineData("enc_block: \"twwt\"", "enc_block: \"twxt\"", "enc_block 'twxt'")]
    [InlineData("dec_tube_size: 3", "dec_tube_size: 4", "dec_tube_size 4")]
    public void Yaml_BadTesseraSection_NamesTheKey(string from, string to, string expected)
    {
        var original = File.ReadAllText(SweetTokCliTests.Yaml);
        Assert.Contains(from, original);
        var text = original.Replace(from, to);
        var e = Assert.Throws<ConfigException>(() => SweetTokYaml.Parse(text, "bad.yaml"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("bad.yaml", e.Message);
    }

    [Fact]
    public void Resolve_SweetTokYaml_IsClaimedBySweetTokNotVidTok()
    {
        var (config, weights) = ModelFamilies.Resolve(SweetTokCliTests.Yaml);
        Assert.IsType<SweetTokConfig>(config);
        Assert.Null(weights);
        Assert.Equal("sweettok", ModelFamilies.ForConversion(SweetTokCliTests.Yaml, null).Name);
    }
}
