using System.Diagnostics;
using Tessera.Checkpoints.Pickle;

namespace Tessera.Tests.Hostile;

/// <summary>Small pickles that used to stall the unpickler for minutes (quadratic work): it is linear in its input.</summary>
[DisposeScopePerTest]
public sealed class HostilePickleTests
{
    private static object? Unpickle(byte[] pickle)
    {
        using var ms = new MemoryStream(pickle);
        return new Unpickler(ms, ms.Length, null, null).Load();
    }

    [Fact]
    public void RepeatedMarkPopMark_OnATallStack_IsLinear()
    {
        var ms = new MemoryStream();
        ms.Write([0x80, 2, (byte)'(']);
        for (var i = 0; i < 100_000; i++) ms.WriteByte((byte)'N');
        for (var i = 0; i < 100_000; i++) ms.Write("(1"u8);
        ms.Write("l."u8);
        var watch = Stopwatch.StartNew();
        var list = Assert.IsType<List<object?>>(Unpickle(ms.ToArray()));
        Assert.Equal(100_000, list.Count);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public void PopBelowAMark_IsAnUnderflow()
    {
        // N ( 0: the POP reaches below the MARK.
        var e = Assert.Throws<InvalidDataException>(() => Unpickle([0x80, 2, (byte)'N', (byte)'(', (byte)'0', (byte)'.']));
        Assert.Contains("underflow", e.Message);
    }

    [Fact]
    public void ManyBytesKeysOfOneLength_AreHashedByContent()
    {
        var ms = new MemoryStream();
        ms.Write([0x80, 3, (byte)'}', (byte)'(']);
        for (var i = 0; i < 60_000; i++)
        {
            ms.Write([(byte)'C', 8]);
            ms.Write(BitConverter.GetBytes((long)i));
            ms.WriteByte((byte)'N');
        }
        ms.Write("u."u8);
        var watch = Stopwatch.StartNew();
        var dict = Assert.IsType<PickleDict>(Unpickle(ms.ToArray()));
        Assert.Equal(60_000, dict.Count);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }
}
