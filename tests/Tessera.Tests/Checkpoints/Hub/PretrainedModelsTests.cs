using Tessera.Checkpoints.Hub;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Models.VidTok;

namespace Tessera.Tests.Checkpoints.Hub;

/// <summary>from_pretrained for .NET: Hub references resolved into local model files, converted once where needed.</summary>
[DisposeScopePerTest]
public sealed class PretrainedModelsTests
{
    private static HubSettings Settings(LoopbackHub hub, TempDir dir) => new() { Endpoint = hub.Endpoint, CacheDir = dir.File("hub") };

    [Fact]
    public async Task HubTesseraModelFile_IsLoadedAsItIs()
    {
        using var hub = new LoopbackHub();
        using var dir = new TempDir();
        var file = dir.File("tiny.safetensors");
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_1, seed: 3)) VidTokWeights.Save(file, m);
        hub.Add("owner/tiny", "tiny.safetensors", File.ReadAllBytes(file));

        using var tokenizer = await PretrainedModels.LoadAsync("hf:owner/tiny/tiny.safetensors", settings: Settings(hub, dir));
        Assert.Equal("tiny_CausalV1_1_fsq", tokenizer.Card.Name);
        using var client = new HubClient(Settings(hub, dir));
        var resolved = await PretrainedModels.ResolveAsync(client, "hf:owner/tiny/tiny.safetensors", null, useEma: false);
        Assert.EndsWith($"snapshots/{LoopbackHub.Commit}/tiny.safetensors", resolved.Model);
        Assert.Null(resolved.Weights);
        Assert.DoesNotContain(dir.File("hub/models--owner--tiny/tessera"), Directory.EnumerateDirectories(dir.File("hub/models--owner--tiny")));
    }

    [Fact]
    public async Task HubCheckpointWithAConfig_IsConvertedOnce_AndLoadsWithoutEma()
    {
        var golden = GoldenCase.Fixture("v1_0_fsq_ckpt");
        using var hub = new LoopbackHub();
        using var dir = new TempDir();
        hub.Add("owner/tiny", "checkpoints/model.ckpt", File.ReadAllBytes(Path.Combine(golden.Dir, "model.ckpt")));
        using var client = new HubClient(Settings(hub, dir));
        var yaml = Path.Combine(golden.Dir, "model.yaml");
        var first = await PretrainedModels.ResolveAsync(client, yaml, "hf:owner/tiny/checkpoints/model.ckpt", useEma: false);
        var second = await PretrainedModels.ResolveAsync(client, yaml, "hf:owner/tiny/checkpoints/model.ckpt", useEma: false);
        Assert.Equal(first, second);
        Assert.Null(first.Weights);
        Assert.False(first.UseEma);
        Assert.EndsWith(".safetensors", first.Model);
        Assert.Equal(1, hub.Count("GET", "/cdn/"));
    }

    [Fact]
    public async Task HubCheckpointNamedLikeNoPreset_AsksForItsConfig()
    {
        using var hub = new LoopbackHub();
        using var dir = new TempDir();
        hub.Add("owner/tiny", "weights.ckpt", [1, 2, 3]);
        using var client = new HubClient(Settings(hub, dir));
        var e = await Assert.ThrowsAsync<ConfigException>(() => PretrainedModels.ResolveAsync(client, "hf:owner/tiny/weights.ckpt", null, useEma: false));
        Assert.Contains("name its model with --model <preset|config.yaml> and pass the checkpoint with --weights hf:owner/tiny/weights.ckpt", e.Message);
    }
}
