using Tessera.Inference;
using Tessera.Models;
using Tessera.Models.VidTok;
using Tessera.Nn;
using static TorchSharp.torch;
using static Tessera.Tests.Models.VidTok.VidTokGoldenParityTests;

namespace Tessera.Tests.Models.VidTok;

/// <summary>
/// Tessera against the project's own reference fixtures (tests/Tessera.Tests/Fixtures/VidTok, made with the
/// unmodified reference code; PROVENANCE.md says how): a 2x8x8 v1.1 model and a KL v1.1 model on a 49-frame
/// video through the long-video path, and a small non-causal KL model.
/// </summary>
[DisposeScopePerTest]
public sealed class VidTokFixtureParityTests
{
    [Fact]
    public void Fsq288_Long49_WholeAndChunked_MatchReference()
    {
        var golden = GoldenCase.Fixture("v1_1_fsq_288_long49");
        Assert.Equal(new Compression(2, 8, 8), golden.Config.Compression);
        using var tokenizer = new VideoTokenizer(golden.BuildModel(), new TokenizerOptions { TemporalChunk = 16 });
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var model = (VidTokModel)tokenizer.Model;
        var x = golden.Load("input.npy");

        var whole = model.EncodeRaw(x, CausalCache.None());
        AssertClose(golden.Load("z_pre.npy"), whole, "z_pre");
        var (codes, ids) = model.Fsq!.Quantize(whole);
        AssertEqualIds(golden.Load("indices.npy"), ids);
        AssertClose(golden.Load("rec_untrimmed.npy"), model.DecodeRaw(codes, CausalCache.None()), "rec_untrimmed");

        // The facade streams 49 frames as [0,1], [1,17], [17,33], [33,49], like the reference's long-video path.
        Assert.True(tokenizer.UsesChunking(49));
        using var code = tokenizer.Encode(x);
        AssertEqualIds(golden.Load("indices_tiled.npy"), Assert.IsType<TokenIds>(code).Ids);
        AssertClose(golden.Load("forward_tiled.npy"), tokenizer.Decode(code), "forward_tiled");
    }

    [Fact]
    public void Kl488_Long49_ChunkedMean_MatchesReference()
    {
        var golden = GoldenCase.Fixture("v1_1_kl_488_long49");
        using var tokenizer = new VideoTokenizer(golden.BuildModel());
        using var scope = NewDisposeScope();
        var x = golden.Load("input.npy");
        using var code = tokenizer.Encode(x);
        var latents = Assert.IsType<Latents>(code);
        AssertClose(golden.Load("posterior_mean_tiled.npy"), latents.Values, "posterior_mean_tiled");
        AssertClose(golden.Load("posterior_logvar_clamped_tiled.npy"), latents.LogVar!, "posterior_logvar_tiled");
        AssertClose(golden.Load("forward_tiled.npy"), tokenizer.Decode(code), "forward_tiled");
    }

    [Fact]
    public void NonCausalKl_MatchesReference()
    {
        var golden = GoldenCase.Fixture("noncausal_kl_small");
        using var model = golden.BuildModel();
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var raw = model.EncodeRaw(golden.Load("input.npy"), CausalCache.None());
        AssertClose(golden.Load("z_pre.npy"), raw, "z_pre");
        var (mean, _) = model.Gaussian!.Split(raw);
        AssertClose(golden.Load("posterior_mean.npy"), mean, "posterior_mean");
        AssertClose(golden.Load("rec_mode_untrimmed.npy"), model.DecodeRaw(mean, CausalCache.None()), "rec_mode");
    }
}
