using Tessera.Checkpoints;
using static TorchSharp.torch;

namespace Tessera.Tests.Checkpoints;

/// <summary>The asynchronous safetensors twins read and write the same bytes, and a cancelled write leaves nothing behind.</summary>
[DisposeScopePerTest]
public sealed class SafeTensorsAsyncTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task LoadAsync_EqualsLoad_AcrossReadChunks()
    {
        var path = dir.File("w.safetensors");
        using var g = new Generator(1);
        // 6 MB: more than one 4 MiB read.
        using var big = randn(new long[] { 1500, 1000 }, generator: g);
        using var small = arange(10, dtype: ScalarType.Int64);
        using var empty0 = zeros(0, 3, dtype: ScalarType.BFloat16);
        SafeTensorsFile.Save(path, [("big", big), ("small", small), ("empty", empty0)], new Dictionary<string, string> { ["k"] = "v" });

        using var sync = SafeTensorsFile.Load(path);
        using var loaded = await SafeTensorsFile.LoadAsync(path);
        Assert.Equal(sync.Keys, loaded.Keys);
        Assert.Equal("v", loaded.Metadata["k"]);
        foreach (var k in sync.Keys)
        {
            Assert.Equal(sync[k].dtype, loaded[k].dtype);
            Assert.True(sync[k].eq(loaded[k]).all().item<bool>(), k);
        }
    }

    [Fact]
    public async Task SaveAsync_WritesTheSameBytesAsSave()
    {
        using var t = arange(1000, dtype: ScalarType.Float32);
        SafeTensorsFile.Save(dir.File("a"), [("t", t)]);
        await SafeTensorsFile.SaveAsync(dir.File("b"), [("t", t)]);
        Assert.Equal(File.ReadAllBytes(dir.File("a")), File.ReadAllBytes(dir.File("b")));
    }

    [Fact]
    public async Task LoadAsync_TruncatedFile_NamesTheFile()
    {
        var path = dir.File("cut.safetensors");
        using var t = arange(1000, dtype: ScalarType.Float32);
        SafeTensorsFile.Save(path, [("t", t)]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);
        var e = await Assert.ThrowsAsync<CheckpointFormatException>(() => SafeTensorsFile.LoadAsync(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public async Task AtomicWriteAsync_CancelledMidWrite_DeletesItsTemporaryAndKeepsTheOldFile()
    {
        var path = dir.File("out.bin");
        File.WriteAllText(path, "old");
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Tessera.AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[1 << 16], ct);
            cancel.Cancel();
            await stream.WriteAsync(new byte[1 << 16], ct);
        }, cancel.Token));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["out.bin"], dir.Entries());
    }
}
