using System.Text.Json;
using Tessera.Models.SweetTok;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>
/// The whole SweetTok pipeline against the official code (shared golden, tiny random-weight model): patch tokens,
/// encoder latents, GCN codebooks, all four index groups (exact), quantised vectors, logits and the stage-2 video.
/// Targets from the golden README: outputs 1e-4 + 1e-4·|ref|, codebooks and quantised vectors 1e-6, losses 1e-5.
/// </summary>
[DisposeScopePerTest]
public sealed class SweetTokGoldenParityTests(SweetTokGoldenFixture fixture, ITestOutputHelper output) : IClassFixture<SweetTokGoldenFixture>
{
    private const string R = SweetTokGolden.Root;

    [SharedFact(R + "/weights.torchsharp.dat", R + "/input.npy")]
    public void Encoder_MatchesReferenceLatents()
    {
        var golden = fixture.Golden;
        var model = fixture.Model;
        using var acts = golden.LoadActivations("encoder");
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var x = golden.Load("input.npy");

        var tokens = model.Encoder.PatchTokens(x);
        Close("enc_patch_tokens", golden.Load("enc_patch_tokens.npy"), tokens);
        Close("encoder.to_patch_emb_first_frame", acts["encoder.to_patch_emb_first_frame"], tokens[.., ..1]);
        Close("encoder.to_patch_emb", acts["encoder.to_patch_emb"], tokens[.., 1..]);

        using var latents = model.Encoder.forward(x, model.state_dict()["latent_spatial_tokens"], model.state_dict()["latent_temporal_tokens"]);
        Close("enc_spatial_latent", golden.Load("enc_spatial_latent.npy"), latents.Spatial);
        Close("enc_temporal_latent", golden.Load("enc_temporal_latent.npy"), latents.Temporal);

        var (zs, zt) = model.EncodeLatents(x);
        Close("quant_in_spatial", golden.Load("quant_in_spatial.npy"), zs);
        Close("quant_in_temporal", golden.Load("quant_in_temporal.npy"), zt);
    }

    [SharedTheory(R + "/spatial_graph_x.npy", R + "/temporal_graph_x.npy")]
    [InlineData("spatial", "adj", "noun")]
    [InlineData("temporal", "adverb", "verb")]
    public void Gcn_MatchesReferenceCodebooks(string branch, string first, string second)
    {
        var golden = fixture.Golden;
        var model = fixture.Model;
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        using var graph = golden.Graph(branch);
        var (edges, weights) = graph.Normalized();
        SweetTokGolden.AssertEqualIndices(golden.Load($"{branch}_gcn_norm_edge_index.npy"), edges, $"{branch} normalised edges");
        Close($"{branch}_gcn_norm_edge_weight", golden.Load($"{branch}_gcn_norm_edge_weight.npy"), weights, 1e-6, 0);

        var quantizer = branch == "spatial" ? model.SpatialQuantizer : model.TemporalQuantizer;
        Close($"{branch}_gcn_conv1_out", golden.Load($"{branch}_gcn_conv1_out.npy"), quantizer.Gcn.Conv1.forward(graph.Features, edges, weights), 1e-6, 0);
        var books = branch == "spatial" ? model.SpatialCodebooks! : model.TemporalCodebooks!;
        Close($"codebook_{first}", golden.Load($"codebook_{first}.npy"), books.First, 1e-6, 0);
        Close($"codebook_{second}", golden.Load($"codebook_{second}.npy"), books.Second, 1e-6, 0);
    }

    [SharedFact(R + "/weights.torchsharp.dat", R + "/indices_all.npy")]
    public void Encode_ReproducesEveryIndexGroupAndTheQuantisedVectors()
    {
        var golden = fixture.Golden;
        var model = fixture.Model;
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        using var encoding = model.Encode(golden.Load("input.npy"));
        var codes = encoding.Codes;
        long b = codes.Noun.shape[0];

        SweetTokGolden.AssertEqualIndices(golden.Load("indices_adj.npy"), codes.Adjective.reshape(b, -1), "adjective");
        SweetTokGolden.AssertEqualIndices(golden.Load("indices_noun.npy"), codes.Noun, "noun");
        SweetTokGolden.AssertEqualIndices(golden.Load("indices_adverb.npy"), codes.Adverb.reshape(b, -1), "adverb");
        SweetTokGolden.AssertEqualIndices(golden.Load("indices_verb.npy"), codes.Verb, "verb");
        SweetTokGolden.AssertEqualIndices(golden.Load("indices_all.npy"), codes.Flat(), "all");

        var zqSpatial = golden.Load("zq_spatial.npy");
        var zqTemporal = golden.Load("zq_temporal.npy");
        Close("zq_spatial", zqSpatial.squeeze(2), encoding.SpatialQuantized, 1e-6, 0);
        Close("zq_temporal", zqTemporal.squeeze(2), encoding.TemporalQuantized, 1e-6, 0);
        var (lookedUpS, lookedUpT) = model.LookUp(codes);
        Close("zq_spatial (looked up from codes)", zqSpatial.squeeze(2), lookedUpS, 1e-6, 0);
        Close("zq_temporal (looked up from codes)", zqTemporal.squeeze(2), lookedUpT, 1e-6, 0);

        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(golden.Dir, "meta.json")));
        var losses = meta.RootElement.GetProperty("losses").GetProperty("stage1_encode");
        foreach (var (name, actual) in new[] { ("quantizer_loss", encoding.QuantizerLoss), ("commitment_loss", encoding.CommitmentLoss), ("codebook_loss", encoding.CodebookLoss) })
            Assert.True(Math.Abs(losses.GetProperty(name).GetDouble() - actual.item<float>()) <= 1e-5, $"{name}: {actual.item<float>()} vs {losses.GetProperty(name).GetDouble()}");
    }

    [SharedFact(R + "/weights.torchsharp.dat", R + "/video_stage2.npy")]
    public void Decode_MatchesReferenceLogitsAndStage2Video()
    {
        var golden = fixture.Golden;
        var model = fixture.Model;
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        using var encoding = model.Encode(golden.Load("input.npy"));

        var (decS, decT) = model.DecoderInputs(encoding.SpatialQuantized, encoding.TemporalQuantized);
        Close("dec_in_spatial", golden.Load("dec_in_spatial.npy"), decS);
        Close("dec_in_temporal", golden.Load("dec_in_temporal.npy"), decT);
        var logits = model.DecodeLogits(encoding.SpatialQuantized, encoding.TemporalQuantized);
        Close("dec_logits", golden.Load("dec_logits.npy"), logits);
        Close("pixel_soft_codes", golden.Load("pixel_soft_codes.npy"), model.SoftProxyCodes(logits));
        Close("video_stage2", golden.Load("video_stage2.npy"), model.DecodePixels(logits));

        var argmax = logits.argmax(1);
        Close("video_stage1_argmax", golden.Load("video_stage1_argmax.npy"), model.DecodeProxyCodes(argmax));
        Close("video_stage2 (decoded from the codes alone)", golden.Load("video_stage2.npy"), model.Decode(encoding.Codes));
    }

    [SharedFact(R + "/proxy_weights.torchsharp.dat", R + "/proxy_codes.npy")]
    public void Proxy_ReproducesTheStage1TargetsAndSeedsThePixelPath()
    {
        var golden = fixture.Golden;
        using var proxy = golden.BuildProxy();
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        SweetTokGolden.AssertEqualIndices(golden.Load("proxy_codes.npy"), proxy.Encode(golden.Load("input.npy")), "proxy codes");
        var argmax = golden.Load("dec_logits.npy").argmax(1);
        Close("video_stage1_argmax (proxy decode)", golden.Load("video_stage1_argmax.npy"), proxy.Decode(argmax));

        // Stage-2 init: the proxy's decoder, codebook and post-VQ entries are the model's pixel_* entries.
        using var weights = golden.Weights();
        var proxyState = proxy.state_dict();
        foreach (var (key, value) in weights.Where(kv => kv.Key.StartsWith("pixel_", StringComparison.Ordinal)))
            Assert.True(proxyState[key["pixel_".Length..]].eq(value).all().item<bool>(), $"{key} differs from the proxy's entry");
    }

    /// <summary>Two clips in one batch give each clip's own result (nothing mixes across the batch).</summary>
    [SharedFact(R + "/weights.torchsharp.dat", R + "/video_stage2.npy")]
    public void BatchOfTwo_GivesEachClipItsOwnTokensAndVideo()
    {
        var golden = fixture.Golden;
        var model = fixture.Model;
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var x = golden.Load("input.npy");
        var batch = cat([x, x.flip(4)], 0);
        using var encoding = model.Encode(batch);
        SweetTokGolden.AssertEqualIndices(golden.Load("indices_all.npy"), encoding.Codes.Flat()[..1], "batch item 0");
        using var flipped = model.Encode(x.flip(4));
        SweetTokGolden.AssertEqualIndices(flipped.Codes.Flat(), encoding.Codes.Flat()[1..], "batch item 1");

        var video = model.DecodePixels(model.DecodeLogits(encoding.SpatialQuantized, encoding.TemporalQuantized));
        Close("video_stage2 (batch item 0)", golden.Load("video_stage2.npy"), video[..1]);
    }

    private void Close(string what, Tensor expected, Tensor actual, double atol = 1e-4, double rtol = 1e-4) =>
        output.WriteLine($"{what}: max abs diff {SweetTokGolden.AssertClose(expected, actual, what, atol, rtol):E2}");
}
