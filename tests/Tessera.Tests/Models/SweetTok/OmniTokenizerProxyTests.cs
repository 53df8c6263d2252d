using Tessera.Checkpoints;
using Tessera.Models.SweetTok;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.SweetTok;

/// <summary>An OmniTokenizer VQGAN checkpoint as SweetTok's proxy: recognised by its keys, loaded strictly at the config's proxy sizes.</summary>
[DisposeScopePerTest]
public sealed class OmniTokenizerProxyTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>A random OmniTokenizer of <paramref name="config"/>'s proxy sizes saved as a checkpoint with the training-only keys the official one has.</summary>
    internal static string SaveCheckpoint(string path, SweetTokConfig config, int seed)
    {
        manual_seed(seed);
        using var tokenizer = new ProxyTokenizer(config);
        using var scope = NewDisposeScope();
        var tensors = tokenizer.state_dict().Select(kv => (kv.Key, kv.Value.contiguous())).ToList();
        tensors.Add(("image_discriminator.main.0.weight", randn(4, 3, 2, 2)));
        tensors.Add(("perceptual_model.net.0.weight", randn(2, 2)));
        SafeTensorsFile.Save(path, tensors);
        return path;
    }

    [Fact]
    public void Checkpoint_IsRecognised_AndCodesDecodeAsTheTokenizerDoes()
    {
        var config = SweetTokContractTests.Tiny;
        var path = SaveCheckpoint(dir.File("omni.safetensors"), config, seed: 3);
        var vidtok = dir.File("vidtok.safetensors");
        using (var model = TinyModels.Model(VidTokFamily.CausalV1_1, fsq: true, seed: 5))
            VidTokWeights.Save(vidtok, model);
        Assert.True(OmniTokenizerProxy.IsCheckpoint(path));
        Assert.False(OmniTokenizerProxy.IsCheckpoint(vidtok));

        using var proxy = ISweetTokProxy.Load(path, config);
        Assert.IsType<OmniTokenizerProxy>(proxy);
        Assert.Equal(config.ProxyCodebookSize, proxy.CodebookSize);
        Assert.Contains("OmniTokenizer", proxy.Description);

        using var reference = new ProxyTokenizer(config);
        using (var sd = SafeTensorsFile.Load(path))
            StateDictLoader.LoadInto(reference, sd, path, skipPrefixes: ["image_discriminator.", "perceptual_model."]);
        reference.eval();
        using var grad = no_grad();
        manual_seed(4);
        var clips = rand([2, 3, config.Frames, config.ImageSize, config.ImageSize]) * 2 - 1;
        var ids = proxy.Targets(clips);
        Assert.Equal(new long[] { 2, config.LatentFrames, config.GridSize, config.GridSize }, ids.shape);
        Assert.True(ids.equal(reference.Encode(clips * 0.5)).all().item<bool>());
        var decoded = proxy.Decode(ids, config.Frames);
        Assert.True(decoded.allclose((reference.Decode(ids) * 2).clamp(-1, 1), 1e-5, 1e-5));
        // Soft codes that are one-hot are the looked-up vectors: the pixel path stage 2 trains decodes them alike.
        var vectors = proxy.CodeVectors.index_select(0, ids.reshape(-1)).reshape(2, config.LatentFrames, config.GridSize, config.GridSize, -1).permute(0, 4, 1, 2, 3);
        Assert.True(proxy.DecodeVectors(vectors, config.Frames).clamp(-1, 1).allclose(decoded, 1e-5, 1e-5));
        Assert.Equal(new[] { "decoder", "post_vq_conv" }, proxy.PixelDecoder.named_children().Select(c => c.name).Order());
    }

    [Fact]
    public void CheckpointOfOtherSizes_IsRefusedNamingTheKeys()
    {
        var path = SaveCheckpoint(dir.File("omni.safetensors"), SweetTokContractTests.Tiny, seed: 3);
        var e = Assert.Throws<CheckpointFormatException>(() => ISweetTokProxy.Load(path, SweetTokContractTests.Tiny with { ProxyCodeDim = 8 }));
        Assert.Contains("omni.safetensors", e.Message);
        Assert.Contains("shape mismatch", e.Message);
    }
}
