using System.Globalization;
using Tessera.Checkpoints;
using Tessera.Models.SweetTok;
using Tessera.Tests.Models.SweetTok;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tessera.Tests.Cli;

/// <summary>
/// The committed SweetTok parity cases (batch 2, other block strings, window sizes, head widths, grids, query counts,
/// decoder hooks; Fixtures/SweetTok/parity) through the command line as a user runs it: an official-layout YAML with
/// its <c>tessera:</c> section → <c>convert</c> (the case's weights and its two word-prior files) → <c>encode
/// input.npy</c> → <c>decode --output video.safetensors</c>. Indices exact; video 1e-4 + 1e-4·|ref|.
/// </summary>
[DisposeScopePerTest]
public sealed class SweetTokParityCliTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases() => SweetTokParityMatrixTests.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvertEncodeDecode_ReproducesTheReference(string name)
    {
        var c = new SweetTokParityCase(name);
        using var dir = new TempDir();
        var yaml = dir.File($"{name}.yaml");
        File.WriteAllText(yaml, Yaml(c.Config));

        var model = dir.File("model.safetensors");
        var convert = CliRunner.Run("convert", Path.Combine(c.Dir, "weights.torchsharp.dat"), "--config", yaml,
            "--spatial-prior", Path.Combine(c.Dir, "spatial_prior.safetensors"), "--temporal-prior", Path.Combine(c.Dir, "temporal_prior.safetensors"),
            "--output", model);
        Assert.True(convert.ExitCode == 0, convert.Error);

        var tokens = dir.File("tokens.safetensors");
        var encode = CliRunner.Run("encode", Path.Combine(c.Dir, "input.npy"), "-m", model, "-o", tokens);
        Assert.True(encode.ExitCode == 0, encode.Error);
        using (var t = SafeTensorsFile.Load(tokens))
        {
            foreach (var (group, reference) in new[] { ("adjective", "indices_adj"), ("noun", "indices_noun"), ("adverb", "indices_adverb"), ("verb", "indices_verb") })
            {
                using var expected = c.Load(reference + ".npy");
                using var actual = (c.Batch > 1 ? t[group] : t[group].unsqueeze(0)).reshape(c.Batch, -1);
                SweetTokGolden.AssertEqualIndices(expected, actual, $"{name} {group}");
            }
        }

        var video = dir.File("video.safetensors");
        var decode = CliRunner.Run("decode", tokens, "--output", video);
        Assert.True(decode.ExitCode == 0, decode.Error);
        using var decoded = SafeTensorsFile.Load(video);
        using var stage2 = c.Load("video_stage2.npy");
        using var actualVideo = c.Batch > 1 ? decoded["video"].alias() : decoded["video"].unsqueeze(0);
        var maxAbs = SweetTokGolden.AssertClose(stage2, actualVideo, $"{name} decoded video");
        output.WriteLine($"{name}: indices identical; decoded video vs reference max abs difference {maxAbs:E2}");
    }

    // The case's geometry in the layout of the official stage-2 YAML plus the tessera: section (the prior widths and
    // word counts come from the priors at convert time).
    private static string Yaml(SweetTokConfig c)
    {
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        return $"""
            experiment:
                train_stage: 2
            model:
                vq_model:
                    codebook_size: {I(c.ProxyCodebookSize)}
                    token_size: {I(c.ProxyCodeDim)}
                    num_spatial_latent_tokens: {I(c.NumSpatialLatentTokens)}
                    num_temporal_latent_tokens: {I(c.NumTemporalLatentTokens)}
                    enc_tube_size: {I(c.Frames)}
                    dec_tube_size: {I(c.LatentFrames)}
                    finetune_decoder: True
                    model_type: "SweetTok_Compact"
            tessera:
                image_size: {I(c.ImageSize)}
                patch_size: {I(c.PatchSize)}
                temporal_patch_size: {I(c.TemporalPatchSize)}
                grid_size: {I(c.ImageSize / c.PatchSize)}
                dim: {I(c.Dim)}
                heads: {I(c.Heads)}
                dim_head: {I(c.DimHead)}
                enc_block: "{c.EncBlock}"
                dec_block: "{c.DecBlock}"
                window_size: {I(c.WindowSize)}
                temporal_depth: {I(c.TemporalDepth)}
                dec_temporal_layers: [{string.Join(", ", c.DecTemporalLayers.Select(l => I(l)))}]
                e_dim: {I(c.EDim)}
                proxy_code_dim: {I(c.ProxyCodeDim)}
                pix_block: "{c.PixBlock}"
                pix_temporal_depth: {I(c.PixTemporalDepth)}
                pix_dim: {I(c.PixDim)}
                pix_heads: {I(c.PixHeads)}
                pix_dim_head: {I(c.PixDimHead)}

            """;
    }
}
