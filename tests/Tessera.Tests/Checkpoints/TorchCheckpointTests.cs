using System.IO.Compression;
using System.Text;
using Tessera.Checkpoints;
using Tessera.Checkpoints.Pickle;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Checkpoints;

[DisposeScopePerTest]
public class TorchCheckpointTests
{
    private static string Fx(string name) => TestPaths.Fixture("Checkpoints", name);

    [Fact]
    public void LightningCheckpointLoadsWithPlaceholdersForForeignClasses()
    {
        using var c = TorchCheckpoint.Load(Fx("lightning.ckpt"));
        var root = Assert.IsType<PickleDict>(c.Root);
        Assert.Equal(1L, root["epoch"]);
        Assert.Equal(10L, root["global_step"]);
        Assert.Equal("2.2.4", root["pytorch-lightning_version"]);
        var callbacks = Assert.IsType<PickleDict>(root["callbacks"]);
        var cb = Assert.IsType<PickleObject>(Assert.Single(callbacks.Items).Value);
        Assert.Equal("fake_lightning_callbacks.ModelCheckpoint", cb.ClassName);
        var cbState = Assert.IsType<PickleDict>(cb.State);
        Assert.Equal("val/rec_loss", cbState["monitor"]);
        var hp = Assert.IsType<PickleObject>(root["hyper_parameters"]);
        Assert.Equal("omegaconf.dictconfig.DictConfig", hp.ClassName);
        var opt = Assert.IsType<PickleDict>(Assert.Single(Assert.IsType<List<object?>>(root["optimizer_states"])!));
        Assert.IsType<PickleDict>(opt["state"]);
    }

    [Fact]
    public void LightningStateDictMatchesPythonValues()
    {
        using var sd = TorchCheckpoint.LoadStateDict(Fx("lightning.ckpt"));
        using var expected = Npy.LoadNpz(Fx("lightning_expected.npz"));
        Assert.Equal(expected.Keys, sd.Keys);
        foreach (var (k, e) in expected)
        {
            Assert.Equal(e.dtype, sd[k].dtype);
            Assert.Equal(e.shape, sd[k].shape);
            Assert.True(e.Equals(sd[k]), k);
        }
        Assert.Empty(sd["loss.logvar"].shape);
        Assert.Equal(ScalarType.Int64, sd["encoder.norm.num_batches_tracked"].dtype);
        Assert.False(sd["decoder.proj.weight_t"].is_contiguous()); // a view, as saved
    }

    [Fact]
    public void LegacyTorchSaveStreamLoadsWithViews()
    {
        using var sd = TorchCheckpoint.LoadStateDict(Fx("legacy.pt"));
        using var w = arange(12, dtype: ScalarType.Float32).reshape(3, 4);
        Assert.Equal(new[] { "w", "wt", "row", "n" }, sd.Keys);
        Assert.True(sd["w"].Equals(w));
        using var wt = w.t();
        Assert.True(sd["wt"].Equals(wt));
        using var row = w[2];
        Assert.True(sd["row"].Equals(row));
        Assert.Equal(new long[] { 1, 2, 3 }, sd["n"].data<long>().ToArray());
    }

    [SharedFact("weights/lpips-heads/alex.pth", "weights/lpips-heads/vgg.pth", "weights/lpips-heads/squeeze.pth")]
    public void LpipsLegacyHeadsLoad()
    {
        foreach (var (net, first) in new[] { ("alex", 64L), ("vgg", 64L), ("squeeze", 64L) })
        {
            using var sd = CheckpointReader.Read(TestPaths.Shared("weights", "lpips-heads", net + ".pth")!);
            Assert.Equal("lin0.model.1.weight", sd.Keys.First());
            Assert.Equal(new[] { 1L, first, 1, 1 }, sd["lin0.model.1.weight"].shape);
            Assert.All(sd.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
            Assert.True(sd["lin0.model.1.weight"].min().item<float>() >= 0f); // LPIPS heads are non-negative
        }
    }

    [Fact]
    public void HostileReduceStaysInert()
    {
        const string marker = "/tmp/tessera-pwned";
        File.Delete(marker);
        using var c = TorchCheckpoint.Load(Fx("hostile.pt"));
        var root = Assert.IsType<PickleDict>(c.Root);
        var evil = Assert.IsType<PickleObject>(root["evil"]);
        Assert.Equal("posix.system", evil.ClassName);
        Assert.Equal("touch /tmp/tessera-pwned", evil.Args[0]);
        Assert.False(File.Exists(marker));
        using var sd = TorchCheckpoint.LoadStateDict(Fx("hostile.pt"));
        Assert.Equal(new[] { "x" }, sd.Keys);
    }

    /// <summary>Writes a torch-style zip whose data.pkl is <paramref name="pickle"/>.</summary>
    private static string ZipWith(TempDir dir, byte[] pickle, params (string name, byte[] data)[] storages)
    {
        var p = dir.File("crafted.pt");
        using var zip = ZipFile.Open(p, ZipArchiveMode.Create);
        using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) s.Write(pickle);
        foreach (var (n, d) in storages)
            using (var s = zip.CreateEntry("archive/data/" + n, CompressionLevel.NoCompression).Open()) s.Write(d);
        return p;
    }

    private static byte[] B(params object[] parts)
    {
        var ms = new MemoryStream();
        foreach (var part in parts)
        {
            switch (part)
            {
                case byte b: ms.WriteByte(b); break;
                case int i: ms.WriteByte((byte)i); break;
                case char ch: ms.WriteByte((byte)ch); break;
                case string s: ms.Write(Encoding.UTF8.GetBytes(s)); break;
                case byte[] a: ms.Write(a); break;
            }
        }
        return ms.ToArray();
    }

    private static byte[] Repeat(byte[] b, int n) => Enumerable.Repeat(b, n).SelectMany(x => x).ToArray();

    public static TheoryData<string, byte[], string> HostilePickles => new()
    {
        { "truncated", B(0x80, 2, '}', 'q', 0, 'X', 10, 0, 0, 0, "abc"), "" },
        { "garbage opcode", B(0x80, 2, 0xff, '.'), "opcode 0xff" },
        { "huge BINUNICODE8", B(0x80, 4, 0x8d, new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f }, '.'), "declares" },
        { "huge LONG_BINPUT memo fill", B(0x80, 2, ']', 'j', 0x40, 0x42, 0x0f, 0, '.'), "memo index" },
        { "stack underflow", B(0x80, 2, 'R', '.'), "underflow" },
        { "deep MARK nesting", B(0x80, 2, Repeat([(byte)'('], 20_000), '.'), "MARK" },
        { "deep tuple nesting", B(0x80, 2, ')', Repeat([0x85], 5_000), '.'), "nested" },
        { "bad storage view", B(0x80, 2, "ctorch._utils\n_rebuild_tensor_v2\n", '(', "(X\x07\0\0\0storagectorch\nFloatStorage\nX\x01\0\0\00X\x03\0\0\0cpuK\x02tQ", "K\x00K\x05", 0x85, "K\x01", 0x85, 0x89, 'N', 't', 'R', '.'), "exceeds storage" },
        { "missing storage", B(0x80, 2, "(X\x07\0\0\0storagectorch\nFloatStorage\nX\x01\0\0\09X\x03\0\0\0cpuK\x02tQ", '.'), "missing from archive" },
        { "unknown persistent storage type", B(0x80, 2, "(X\x07\0\0\0storagecos\nsystem\nX\x01\0\0\00X\x03\0\0\0cpuK\x02tQ", '.'), "storage type" },
    };

    [Theory]
    [MemberData(nameof(HostilePickles))]
    public void HostileOrBrokenPicklesThrowFormatErrors(string label, byte[] pickle, string expected)
    {
        using var dir = new TempDir();
        var p = ZipWith(dir, pickle, ("0", new byte[8]));
        var ex = Assert.Throws<CheckpointFormatException>(() => { using var _ = TorchCheckpoint.Load(p); });
        Assert.Contains(p, ex.Message);
        Assert.Contains(expected, ex.Message);
        Assert.NotNull(label);
    }

    [Fact]
    public void TruncatedZipAndGarbageThrow()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Fx("lightning.ckpt"));
        var cut = dir.File("cut.ckpt");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        Assert.Contains(cut, Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.LoadStateDict(cut)).Message);
        var legacyCut = dir.File("legacy-cut.pt");
        var legacy = File.ReadAllBytes(Fx("legacy.pt"));
        for (int n = 1; n < legacy.Length; n += 37)
        {
            File.WriteAllBytes(legacyCut, legacy[..n]);
            Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.LoadStateDict(legacyCut));
        }
        var junk = dir.File("junk.bin");
        File.WriteAllBytes(junk, Encoding.ASCII.GetBytes("this is not a checkpoint at all"));
        var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Read(junk));
        Assert.Contains(junk, ex.Message);
        Assert.Contains("not a recognised weights file", ex.Message);
    }

    [PythonFact("torch")]
    public void ReadsZipCheckpointsWrittenByPythonForEveryDType()
    {
        using var dir = new TempDir();
        var p = dir.File("py.pt");
        const string script = """
            import sys, torch
            d = {}
            for name in ['float64', 'float32', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool']:
                d[name] = (torch.arange(6).reshape(2, 3) % 3 - 1).to(getattr(torch, name))
            torch.save({'model': 0, 'state_dict': d}, sys.argv[1])
            """;
        int rc = TestPaths.RunPython(script, out _, out var err, 120_000, p);
        Assert.True(rc == 0, err);
        using var sd = CheckpointReader.Read(p);
        Assert.Equal(10, sd.Count);
        using var expected = (arange(6).reshape(2, 3) % 3 - 1).to_type(ScalarType.Float64);
        foreach (var (name, t) in sd)
        {
            using var asDouble = t.to_type(ScalarType.Float64);
            using var exp = name == "bool" ? expected.ne(0).to_type(ScalarType.Float64) : name == "uint8" ? expected.to_type(ScalarType.Byte).to_type(ScalarType.Float64) : expected.alias();
            Assert.True(exp.Equals(asDouble), name);
        }
        Assert.Equal(ScalarType.BFloat16, sd["bfloat16"].dtype);
    }
}
