using System.Diagnostics;
using Tessera.Tests.Checkpoints.Hub;
using Tessera.Tests.Models.VidTok;

namespace Tessera.Tests.Cli;

/// <summary>
/// Two tessera processes fetching the same Hub file at once, configured only through the environment variables
/// huggingface_hub reads (HF_ENDPOINT, HF_HUB_CACHE): both succeed, the file crosses the wire once (the second process
/// waits on the .locks/ lock, or finds the blob already in place), and no partial file is left.
/// </summary>
[DisposeScopePerTest]
public sealed class HubTwoProcessTests
{
    [Fact]
    public async Task TwoProcesses_SameFile_OneTransferBothSucceed()
    {
        if (!OperatingSystem.IsLinux()) return;
        var golden = GoldenCase.Fixture("v1_0_fsq_ckpt");
        var bytes = File.ReadAllBytes(Path.Combine(golden.Dir, "model.ckpt"));
        using var hub = new LoopbackHub { Pace = TimeSpan.FromMilliseconds(4) };
        using var dir = new TempDir();
        hub.Add("owner/tiny", "checkpoints/model.ckpt", bytes);
        var processes = Enumerable.Range(0, 2).Select(i =>
        {
            var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Tessera.Cli"),
                ["encode", Path.Combine(golden.Dir, "frames"), "--frames", "1", "--model", Path.Combine(golden.Dir, "model.yaml"),
                 "--weights", "hf:owner/tiny/checkpoints/model.ckpt", "-o", dir.File($"t{i}.safetensors")])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            start.Environment["HF_ENDPOINT"] = hub.Endpoint;
            start.Environment["HF_HUB_CACHE"] = dir.File("hub");
            start.Environment.Remove("HF_HUB_OFFLINE");
            start.Environment.Remove("HF_TOKEN");
            return Process.Start(start)!;
        }).ToArray();
        var errors = processes.Select(p => p.StandardError.ReadToEndAsync()).ToArray();
        foreach (var p in processes)
        {
            _ = p.StandardOutput.ReadToEndAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(300));
            await p.WaitForExitAsync(limit.Token);
        }
        for (var i = 0; i < 2; i++) Assert.True(processes[i].ExitCode == 0, await errors[i]);
        Assert.Equal(1, hub.Count("GET", "/cdn/"));
        var blobs = Directory.GetFiles(dir.File("hub/models--owner--tiny/blobs"));
        Assert.Equal([LoopbackHub.Sha256(bytes)], blobs.Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateFiles(dir.File("hub"), "*.tmp", SearchOption.AllDirectories));
        foreach (var p in processes) p.Dispose();
    }
}
