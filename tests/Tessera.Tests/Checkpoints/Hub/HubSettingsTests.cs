using Tessera.Checkpoints.Hub;

namespace Tessera.Tests.Checkpoints.Hub;

[DisposeScopePerTest]
public sealed class HubSettingsTests
{
    [Fact]
    public void FromEnvironment_ReadsHuggingFaceHubVariables()
    {
        using var dir = new TempDir();
        var env = new Dictionary<string, string> { ["HF_HOME"] = dir.Path, ["HF_ENDPOINT"] = "http://mirror.example/", ["HF_HUB_OFFLINE"] = "yes" };
        File.WriteAllText(dir.File("token"), "hf_fromfile\n");
        var s = HubSettings.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal(Path.Combine(dir.Path, "hub"), s.CacheDir);
        Assert.Equal("http://mirror.example", s.Endpoint);
        Assert.Equal("hf_fromfile", s.Token);
        Assert.True(s.Offline);

        env["HF_HUB_CACHE"] = dir.File("elsewhere");
        env["HF_TOKEN"] = "hf_env";
        env["HF_HUB_OFFLINE"] = "0";
        s = HubSettings.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal(dir.File("elsewhere"), s.CacheDir);
        Assert.Equal("hf_env", s.Token);
        Assert.False(s.Offline);
    }

    [Theory]
    [InlineData("hf:microsoft/VidTok/checkpoints/a.ckpt", "microsoft/VidTok", "main", "checkpoints/a.ckpt")]
    [InlineData("hf:o/r@v1.0/a.safetensors", "o/r", "v1.0", "a.safetensors")]
    [InlineData("hf:o/r@refs%2Fpr%2F1/a", "o/r", "refs/pr/1", "a")]
    public void Parse_ReadsRepoRevisionAndPath(string text, string repo, string revision, string path)
    {
        Assert.Equal(new HubFile(repo, revision, path), HubFile.Parse(text));
    }

    [Theory]
    [InlineData("hf:o/r")]
    [InlineData("hf:o/r/")]
    [InlineData("hf:o/r@/a")]
    [InlineData("hf:o/r/../x")]
    public void Parse_RefusesMalformedReferences(string text)
    {
        var e = Assert.Throws<ConfigException>(() => HubFile.Parse(text));
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void Url_FollowsTheHubsResolveScheme()
    {
        Assert.Equal("https://huggingface.co/microsoft/VidTok/resolve/main/checkpoints/vidtok_kl_causal_488_4chn.ckpt",
            HubFile.Parse("hf:microsoft/VidTok/checkpoints/vidtok_kl_causal_488_4chn.ckpt").Url(HubSettings.DefaultEndpoint).ToString());
        Assert.Equal("http://h/o/r/resolve/refs%2Fpr%2F1/a%20b/c", new HubFile("o/r", "refs/pr/1", "a b/c").Url("http://h/").AbsoluteUri);
    }
}
