using System.IO.Compression;
using System.Text;
using Tessera.Checkpoints;

namespace Tessera.Tests.Hostile;

/// <summary>Zip archives (.npz, .ckpt) whose entries would make the reader allocate far more than the file holds.</summary>
[DisposeScopePerTest]
public sealed class HostileArchiveTests
{
    /// <summary>An .npy file of <paramref name="floats"/> zero float32 values.</summary>
    private static byte[] ZeroNpy(int floats)
    {
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({floats},), }}";
        header = header.PadRight((header.Length + 11) / 64 * 64 + 63 - 10) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        ms.Write(BitConverter.GetBytes((ushort)header.Length));
        ms.Write(Encoding.ASCII.GetBytes(header));
        ms.Write(new byte[floats * 4L]);
        return ms.ToArray();
    }

    /// <summary>
    /// A zip whose <paramref name="entries"/> central-directory records all point at one deflate stream of
    /// <paramref name="content"/>; <paramref name="declaredSize"/> overrides the uncompressed size they claim.
    /// </summary>
    internal static byte[] SharedStreamZip(byte[] content, int entries, long? declaredSize = null)
    {
        var deflated = new MemoryStream();
        using (var d = new DeflateStream(deflated, CompressionLevel.SmallestSize, leaveOpen: true)) d.Write(content);
        var data = deflated.ToArray();
        var usize = (uint)(declaredSize ?? content.Length);
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        var name = "a.npy"u8.ToArray();
        w.Write(0x04034b50u); w.Write((ushort)20); w.Write((ushort)0); w.Write((ushort)8); w.Write(0u);
        w.Write(0u); w.Write((uint)data.Length); w.Write(usize); w.Write((ushort)name.Length); w.Write((ushort)0);
        w.Write(name); w.Write(data);
        var cdStart = ms.Position;
        for (var i = 0; i < entries; i++)
        {
            var entryName = Encoding.ASCII.GetBytes($"e{i}.npy");
            w.Write(0x02014b50u); w.Write((ushort)20); w.Write((ushort)20); w.Write((ushort)0); w.Write((ushort)8); w.Write(0u);
            w.Write(0u); w.Write((uint)data.Length); w.Write(usize); w.Write((ushort)entryName.Length); w.Write((ushort)0);
            w.Write((ushort)0); w.Write((ushort)0); w.Write((ushort)0); w.Write(0u); w.Write(0u); w.Write(entryName);
        }
        var cdSize = ms.Position - cdStart;
        w.Write(0x06054b50u); w.Write((ushort)0); w.Write((ushort)0); w.Write((ushort)entries); w.Write((ushort)entries);
        w.Write((uint)cdSize); w.Write((uint)cdStart); w.Write((ushort)0);
        w.Flush();
        return ms.ToArray();
    }

    [Fact]
    public void EntriesSharingOneDeflateStream_AreRefusedBeforeDecompressing()
    {
        using var dir = new TempDir();
        var p = dir.File("bomb.npz");
        File.WriteAllBytes(p, SharedStreamZip(ZeroNpy(1 << 20), entries: 8));
        var e = Assert.Throws<CheckpointFormatException>(() => { using var _ = Npy.LoadNpz(p); });
        Assert.Contains(p, e.Message);
        Assert.Contains("overlapping", e.Message);
    }

    [Fact]
    public void EntryClaimingAnImpossibleRatio_IsRefused()
    {
        using var dir = new TempDir();
        var p = dir.File("ratio.ckpt");
        File.WriteAllBytes(p, SharedStreamZip(ZeroNpy(16), entries: 1, declaredSize: 3L << 30));
        var e = Assert.Throws<CheckpointFormatException>(() => { using var _ = TorchCheckpoint.Load(p); });
        Assert.Contains(p, e.Message);
        Assert.Contains("zip bomb", e.Message);
    }
}

/// <summary>Tensor views in a checkpoint that claim more elements than any memory (stride 0 over a 2-element storage).</summary>
[DisposeScopePerTest]
public sealed class HostileTensorViewTests
{
    private static byte[] RebuildPickle(byte[] size, byte[] stride)
    {
        var ms = new MemoryStream();
        ms.Write([0x80, 2]);
        ms.Write("ctorch._utils\n_rebuild_tensor_v2\n("u8);
        ms.Write("(X\x07\0\0\0storagectorch\nFloatStorage\nX\x01\0\0\00X\x03\0\0\0cpuK\x02tQ"u8);
        ms.Write("K\x00"u8);
        ms.Write(size);
        ms.Write(stride);
        ms.Write([0x89, (byte)'N', (byte)'t', (byte)'R', (byte)'.']);
        return ms.ToArray();
    }

    private static readonly byte[] Big = [(byte)'J', 0, 0, 0, 0x40];

    public static TheoryData<string, byte[], byte[]> Views => new()
    {
        { "product overflows long", [.. Big, .. Big, .. Big, 0x87], [(byte)'K', 0, (byte)'K', 0, (byte)'K', 0, 0x87] },
        { "2^60 elements", [.. Big, .. Big, 0x86], [(byte)'K', 0, (byte)'K', 0, 0x86] },
        { "4 Gi elements from 2", [.. Big, (byte)'K', 4, 0x86], [(byte)'K', 0, (byte)'K', 0, 0x86] },
    };

    [Theory]
    [MemberData(nameof(Views))]
    public void StrideZeroViews_AreRefused(string label, byte[] size, byte[] stride)
    {
        using var dir = new TempDir();
        var p = dir.File("view.pt");
        using (var zip = ZipFile.Open(p, ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) s.Write(RebuildPickle(size, stride));
            using (var s = zip.CreateEntry("archive/data/0", CompressionLevel.NoCompression).Open()) s.Write(new byte[8]);
        }
        var e = Assert.Throws<CheckpointFormatException>(() => { using var _ = TorchCheckpoint.Load(p); });
        Assert.Contains(p, e.Message);
        Assert.Contains("elements", e.Message);
        Assert.NotNull(label);
    }
}
