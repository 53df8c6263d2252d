using Tessera.Models.SweetTok;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>
/// Every transformer stack of the golden model, slot by slot (PEG, attention or window attention,
/// cross-attention, FF), against the official code's recorded activations. Each stack gets the reference's own
/// inputs, so a failure points at one block. Tolerance 3e-4 + 1e-4·|ref| (the README's per-block bound).
/// </summary>
[DisposeScopePerTest]
public sealed class SweetTokBlockParityTests(SweetTokGoldenFixture fixture, ITestOutputHelper output) : IClassFixture<SweetTokGoldenFixture>
{
    private const string R = SweetTokGolden.Root;

    [SharedFact(R + "/activations_encoder.npz", R + "/weights.torchsharp.dat")]
    public void EncoderStacks_MatchReferenceActivations()
    {
        var golden = fixture.Golden;
        var model = fixture.Model;
        using var weights = golden.Weights();
        using var acts = golden.LoadActivations("encoder");
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var walk = new TransformerWalk(acts, Report);

        var tokens = golden.Load("enc_patch_tokens.npy");
        long b = tokens.shape[0], t = tokens.shape[1], h = tokens.shape[2], w = tokens.shape[3], d = tokens.shape[4];
        var spatialDepth = golden.Config.SpatialDepth;
        var temporalDepth = golden.Config.TemporalDepth;

        walk.Run(model.Encoder.SpatialTransformer, "encoder.enc_spatial_transformer", tokens.reshape(b * t, h * w, d),
            new TransformerCall(new VideoShape(b, t, h, w), IsSpatial: true));
        var pooled = Enumerable.Range(0, spatialDepth + 1)
            .Select(k => acts[$"encoder.enc_spatial_transformer#{k}"].reshape(b, t, h * w, d).mean([1])).ToArray();
        var queries = (weights["latent_spatial_tokens"] + weights["encoder.spatial_latent_tokens_positional_embedding"]).unsqueeze(0);
        walk.Run(model.Encoder.LatentSpatialTransformer, "encoder.enc_latent_spatial_transformer", queries,
            new TransformerCall(IsSpatial: true, Contexts: pooled));

        var diffs = (tokens[.., 1..] - tokens[.., ..^1]).permute(0, 2, 3, 1, 4).reshape(b * h * w, t - 1, d);
        walk.Run(model.Encoder.TemporalTransformer, "encoder.enc_temporal_transformer", diffs,
            new TransformerCall(new VideoShape(b, t - 1, h, w), IsSpatial: false));
        var temporalContexts = Enumerable.Range(0, temporalDepth + 1).Select(k => acts[$"encoder.enc_temporal_transformer#{k}"]).ToArray();
        var temporalQueries = (weights["latent_temporal_tokens"] + weights["encoder.temporal_latent_tokens_positional_embedding"]).unsqueeze(1);
        walk.Run(model.Encoder.LatentTemporalTransformer, "encoder.enc_latent_temporal_transformer", temporalQueries,
            new TransformerCall(IsSpatial: false, Contexts: temporalContexts));
    }

    [SharedFact(R + "/activations_decoder.npz", R + "/weights.torchsharp.dat")]
    public void DecoderStacks_MatchReferenceActivations()
    {
        var golden = fixture.Golden;
        var config = golden.Config;
        var model = fixture.Model;
        using var weights = golden.Weights();
        using var acts = golden.LoadActivations("decoder");
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var walk = new TransformerWalk(acts, Report);
        long frames = config.LatentFrames, g = config.GridSize, d = config.Dim;

        var temporal = acts["decoder.decoder_embed_temporal"] + weights["decoder.temporal_latent_tokens_positional_embedding"];
        long b = temporal.shape[0], lt = temporal.shape[1];
        walk.Run(model.Decoder.TemporalLatentTransformer, "decoder.dec_temporal_latent_transformer", temporal.reshape(b * lt, 1, d),
            new TransformerCall(IsSpatial: false));

        var spatial = acts["decoder.decoder_embed"] + weights["decoder.spatial_latent_tokens_positional_embedding"];
        long ls = spatial.shape[1];
        walk.Run(model.Decoder.SpatialLatentTransformer, "decoder.dec_spatial_latent_transformer",
            spatial.unsqueeze(1).expand(b, frames, ls, d).reshape(b * frames, ls, d), new TransformerCall(IsSpatial: true));

        var grid = (weights["decoder.mask_token"] + weights["decoder.positional_embedding"]).expand(b, g * g, d)
            .unsqueeze(1).expand(b, frames, g * g, d).reshape(b * frames, g * g, d);
        var spatialContexts = Enumerable.Range(0, config.SpatialDepth + 1).Select(k => acts[$"decoder.dec_spatial_latent_transformer#{k}"]).ToArray();
        var temporalContexts = Enumerable.Range(0, config.TemporalDepth + 1).Select(k => acts[$"decoder.dec_temporal_latent_transformer#{k}"]).ToArray();
        var hook = new TemporalHook(model.Decoder.TemporalBlocks, temporalContexts, config.DecTemporalLayers.ToHashSet());
        walk.Run(model.Decoder.SpatialTransformer, "decoder.dec_spatial_transformer", grid,
            new TransformerCall(new VideoShape(b, frames, g, g), IsSpatial: true, Contexts: spatialContexts, Temporal: hook));
    }

    [SharedFact(R + "/activations_pixel_decoder.npz", R + "/pixel_soft_codes.npy")]
    public void PixelDecoderStacks_MatchReferenceActivations()
    {
        var golden = fixture.Golden;
        var model = fixture.Model;
        using var acts = golden.LoadActivations("pixel_decoder");
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var walk = new TransformerWalk(acts, Report);

        var latent = model.PixelLatent(golden.Load("pixel_soft_codes.npy"));
        long b = latent.shape[0], d = latent.shape[1], t = latent.shape[2], h = latent.shape[3], w = latent.shape[4];
        var shape = new VideoShape(b, t, h, w);
        var tokens = walk.Run(model.PixelDecoder!.TemporalTransformer, "pixel_decoder.dec_temporal_transformer",
            latent.permute(0, 3, 4, 2, 1).reshape(b * h * w, t, d), new TransformerCall(shape, IsSpatial: false));
        walk.Run(model.PixelDecoder.SpatialTransformer, "pixel_decoder.dec_spatial_transformer",
            tokens.reshape(b, h * w, t, d).transpose(1, 2).reshape(b * t, h * w, d), new TransformerCall(shape, IsSpatial: true));

        var video = model.PixelDecoder.forward(latent);
        walk.Check("pixel_decoder.to_pixels_first_frame", video[.., .., ..1]);
        walk.Check("pixel_decoder.to_pixels", video[.., .., 1..]);
    }

    private void Report(string path, double maxAbs) => output.WriteLine($"{path}: max abs diff {maxAbs:E2}");
}
