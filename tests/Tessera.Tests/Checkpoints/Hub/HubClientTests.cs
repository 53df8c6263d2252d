using Tessera.Checkpoints.Hub;

namespace Tessera.Tests.Checkpoints.Hub;

/// <summary>
/// HubClient against <see cref="LoopbackHub"/>: the huggingface_hub cache layout both ways, no request for a cached file,
/// and every fault (401, 404, a cut transfer, wrong bytes, two downloads at once, offline) ending with a clear message and
/// nothing unverified at the blob or snapshot paths.
/// </summary>
[DisposeScopePerTest]
public sealed class HubClientTests
{
    private const string Repo = "owner/tiny";
    private const string FilePath = "checkpoints/model.ckpt";
    private static readonly HubFile Reference = new(Repo, "main", FilePath);

    private static byte[] Content(int length = 50_000, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static HubClient Client(LoopbackHub hub, TempDir dir, string? token = null, bool offline = false) =>
        new(new HubSettings { Endpoint = hub.Endpoint, CacheDir = dir.File("hub"), Token = token, Offline = offline });

    [Fact]
    public async Task Download_WritesHuggingFaceLayout_AndASecondClientMakesNoRequest()
    {
        using var hub = new LoopbackHub();
        using var dir = new TempDir();
        var content = Content();
        var sha = LoopbackHub.Sha256(content);
        hub.Add(Repo, FilePath, content);

        using (var client = Client(hub, dir))
        {
            var got = await client.GetAsync(Reference);
            Assert.Equal(content, File.ReadAllBytes(got.Path));
            Assert.Equal(sha, got.Etag);
            Assert.Equal(LoopbackHub.Commit, got.Commit);
        }
        var repoDir = dir.File("hub/models--owner--tiny");
        Assert.Equal($"../../../blobs/{sha}", new FileInfo(Path.Combine(repoDir, "snapshots", LoopbackHub.Commit, FilePath)).LinkTarget);
        Assert.Equal(LoopbackHub.Commit, File.ReadAllText(Path.Combine(repoDir, "refs", "main")));
        Assert.Equal([sha], Directory.GetFiles(Path.Combine(repoDir, "blobs")).Select(Path.GetFileName));

        var before = hub.Requests.Count;
        using (var again = Client(hub, dir))
            Assert.Equal(content, File.ReadAllBytes((await again.GetAsync(Reference)).Path));
        Assert.Equal(before, hub.Requests.Count);
    }

    [Fact]
    public async Task CacheWrittenByPython_IsFound_WithoutRequestEvenOffline()
    {
        using var hub = new LoopbackHub();
        using var dir = new TempDir();
        var content = Content(1234);
        var sha = LoopbackHub.Sha256(content);
        // What huggingface_hub leaves after hf_hub_download("owner/tiny", "checkpoints/model.ckpt").
        var repoDir = Directory.CreateDirectory(dir.File("hub/models--owner--tiny")).FullName;
        Directory.CreateDirectory(Path.Combine(repoDir, "blobs"));
        File.WriteAllBytes(Path.Combine(repoDir, "blobs", sha), content);
        Directory.CreateDirectory(Path.Combine(repoDir, "refs"));
        File.WriteAllText(Path.Combine(repoDir, "refs", "main"), LoopbackHub.Commit);
        var snapshot = Path.Combine(repoDir, "snapshots", LoopbackHub.Commit, "checkpoints", "model.ckpt");
        Directory.CreateDirectory(Path.GetDirectoryName(snapshot)!);
        File.CreateSymbolicLink(snapshot, $"../../../blobs/{sha}");

        using var client = Client(hub, dir, offline: true);
        var got = await client.GetAsync(Reference);
        Assert.Equal(sha, got.Etag);
        Assert.Equal(content, File.ReadAllBytes(got.Path));
        var byCommit = await client.GetAsync(Reference with { Revision = LoopbackHub.Commit });
        Assert.Equal(snapshot, byCommit.Path);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public async Task Offline_MissingFile_NamesFileUrlAndHowToPlaceIt()
    {
        using var hub = new LoopbackHub();
        using var dir = new TempDir();
        using var client = Client(hub, dir, offline: true);
        var e = await Assert.ThrowsAsync<HubException>(() => client.GetAsync(Reference));
        Assert.Contains("hf:owner/tiny/checkpoints/model.ckpt", e.Message);
        Assert.Contains($"{hub.Endpoint}/owner/tiny/resolve/main/checkpoints/model.ckpt", e.Message);
        Assert.Contains("HF_HUB_OFFLINE", e.Message);
        Assert.Contains("--weights", e.Message);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public async Task Unauthorized_AsksForToken_AndATokenGoesToTheHubButNotTheCdn()
    {
        using var hub = new LoopbackHub { RequiredToken = "hf_secret" };
        using var dir = new TempDir();
        hub.Add(Repo, FilePath, Content());
        using (var anonymous = Client(hub, dir))
        {
            var e = await Assert.ThrowsAsync<HubException>(() => anonymous.GetAsync(Reference));
            Assert.Contains("HTTP 401", e.Message);
            Assert.Contains("set HF_TOKEN", e.Message);
        }
        Assert.False(Directory.Exists(dir.File("hub/models--owner--tiny/blobs")));

        using var client = Client(hub, dir, token: "hf_secret");
        await client.GetAsync(Reference);
        Assert.Contains(hub.Requests, r => r.Path.StartsWith("/owner/tiny/resolve/", StringComparison.Ordinal) && r.Authorization == "Bearer hf_secret");
        Assert.All(hub.Requests.Where(r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal)), r => Assert.Null(r.Authorization));
    }

    [Fact]
    public async Task NotFound_SaysWhichFileAndRevision()
    {
        using var hub = new LoopbackHub();
        using var dir = new TempDir();
        using var client = Client(hub, dir);
        var e = await Assert.ThrowsAsync<HubException>(() => client.GetAsync(Reference));
        Assert.Contains("has no file 'checkpoints/model.ckpt' at revision 'main' (HTTP 404", e.Message);
        hub.Faults[$"/{Repo}/resolve/main/{FilePath}"] = (404, "RepoNotFound");
        e = await Assert.ThrowsAsync<HubException>(() => client.GetAsync(Reference));
        Assert.Contains("no repository owner/tiny", e.Message);
        Assert.False(Directory.Exists(dir.File("hub/models--owner--tiny")));
    }

    [Fact]
    public async Task CutTransfers_KeepOnlyTheIncompleteFile_AndTheNextRunResumesWithARange()
    {
        using var hub = new LoopbackHub { TruncateTransfers = 3, TruncateAfter = 10_000 };
        using var dir = new TempDir();
        var content = Content();
        var sha = LoopbackHub.Sha256(content);
        hub.Add(Repo, FilePath, content);
        var blob = dir.File($"hub/models--owner--tiny/blobs/{sha}");

        using var client = Client(hub, dir);
        var e = await Assert.ThrowsAsync<IOException>(() => client.GetAsync(Reference));
        Assert.Contains("broke off after 30,000 of 50,000 bytes", e.Message);
        Assert.Contains("run the command again to resume", e.Message);
        Assert.False(File.Exists(blob));
        Assert.Equal(30_000, new FileInfo(blob + ".incomplete").Length);
        Assert.False(Directory.Exists(dir.File("hub/models--owner--tiny/snapshots")));
        Assert.Equal([null, "bytes=10000-", "bytes=20000-"], hub.Requests.Where(r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal)).Select(r => r.Range));

        var got = await client.GetAsync(Reference);
        Assert.Equal(content, File.ReadAllBytes(got.Path));
        Assert.Equal("bytes=30000-", hub.Requests.Last(r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal)).Range);
        Assert.False(File.Exists(blob + ".incomplete"));
    }

    [Fact]
    public async Task OneCutTransfer_IsResumedInTheSameRun()
    {
        using var hub = new LoopbackHub { TruncateTransfers = 1, TruncateAfter = 20_000 };
        using var dir = new TempDir();
        var content = Content();
        hub.Add(Repo, FilePath, content);
        using var client = Client(hub, dir);
        Assert.Equal(content, File.ReadAllBytes((await client.GetAsync(Reference)).Path));
        Assert.Equal([null, "bytes=20000-"], hub.Requests.Where(r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal)).Select(r => r.Range));
    }

    [Fact]
    public async Task WrongBytes_AreDiscarded_WithBothHashesInTheMessage()
    {
        var content = Content();
        using var hub = new LoopbackHub { Corrupt = Content(seed: 2) };
        using var dir = new TempDir();
        hub.Add(Repo, FilePath, content);
        using var client = Client(hub, dir);
        var e = await Assert.ThrowsAsync<HubException>(() => client.GetAsync(Reference));
        Assert.Contains($"but the Hub says {LoopbackHub.Sha256(content)}", e.Message);
        Assert.Contains(LoopbackHub.Sha256(hub.Corrupt), e.Message);
        Assert.Contains("discarded", e.Message);
        Assert.Empty(Directory.GetFiles(dir.File("hub/models--owner--tiny/blobs")));
        Assert.False(Directory.Exists(dir.File("hub/models--owner--tiny/snapshots")));
    }

    [Fact]
    public async Task TwoDownloadsAtOnce_ShareOneTransferThroughTheLock()
    {
        using var hub = new LoopbackHub { Pace = TimeSpan.FromMilliseconds(5) };
        using var dir = new TempDir();
        var content = Content(200_000);
        hub.Add(Repo, FilePath, content);
        var waits = new List<string>();
        using var first = Client(hub, dir);
        using var second = new HubClient(first.Settings) { Status = s => { lock (waits) waits.Add(s); } };
        var a = first.GetAsync(Reference);
        while (hub.Count("GET", "/cdn/") == 0) await Task.Delay(5);
        var b = second.GetAsync(Reference);
        var got = await Task.WhenAll(a, b);
        Assert.All(got, g => Assert.Equal(content, File.ReadAllBytes(g.Path)));
        Assert.Equal(1, hub.Count("GET", "/cdn/"));
        Assert.Contains(waits, w => w.StartsWith("waiting for another download of hf:owner/tiny/checkpoints/model.ckpt", StringComparison.Ordinal));
        Assert.True(File.Exists(dir.File($"hub/.locks/models--owner--tiny/{LoopbackHub.Sha256(content)}.lock")));
    }

    [Fact]
    public async Task StalledTransfer_GivesUpAfterTheTimeout_KeepingNoBlob()
    {
        using var hub = new LoopbackHub { Stall = true };
        using var dir = new TempDir();
        var content = Content();
        hub.Add(Repo, FilePath, content);
        using var client = new HubClient(new HubSettings { Endpoint = hub.Endpoint, CacheDir = dir.File("hub"), Timeout = TimeSpan.FromSeconds(0.5) });
        var e = await Assert.ThrowsAsync<IOException>(() => client.GetAsync(Reference));
        Assert.Contains("broke off after 0 of 50,000 bytes (no data for 0.5 s)", e.Message);
        Assert.Equal(3, hub.Count("GET", "/cdn/"));
        Assert.False(File.Exists(dir.File($"hub/models--owner--tiny/blobs/{LoopbackHub.Sha256(content)}")));
    }
}
