using System.Text.Json;
using Tessera.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Checkpoints;

[DisposeScopePerTest]
public class NpyTests
{
    private const string Golden = "reference/vidtok-golden";

    [SharedFact(Golden + "/causal_v1_0_fsq/input.npy", Golden + "/causal_v1_0_fsq/indices.npy")]
    public void LoadsGoldenNpyFiles()
    {
        using var input = Npy.Load(TestPaths.Shared(Golden, "causal_v1_0_fsq", "input.npy")!);
        Assert.Equal(ScalarType.Float32, input.dtype);
        Assert.Equal(new long[] { 1, 3, 17, 32, 32 }, input.shape);
        Assert.True(input.abs().max().item<float>() <= 1f);
        using var idx = Npy.Load(TestPaths.Shared(Golden, "causal_v1_0_fsq", "indices.npy")!);
        Assert.Equal(ScalarType.Int32, idx.dtype);
        Assert.Equal(new long[] { 1, 5, 4, 4 }, idx.shape);
    }

    [SharedFact(Golden + "/causal_v1_1_fsq/activations_encoder.npz")]
    public void LoadsGoldenNpzInArchiveOrder()
    {
        using var acts = Npy.LoadNpz(TestPaths.Shared(Golden, "causal_v1_1_fsq", "activations_encoder.npz")!);
        Assert.Equal(27, acts.Count);
        Assert.Equal("000:encoder.conv_in", acts.Keys.First());
        Assert.Equal(new long[] { 1, 16, 20, 32, 32 }, acts["000:encoder.conv_in"].shape);
        Assert.All(acts.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
    }

    [Fact]
    public void SaveLoadRoundTrips()
    {
        using var dir = new TempDir();
        foreach (var t in new[] { ScalarType.Float32, ScalarType.Float64, ScalarType.Int32, ScalarType.Int64, ScalarType.Byte, ScalarType.Bool })
        {
            using var scope = NewDisposeScope();
            var src = arange(24).reshape(2, 3, 4).remainder(2).to_type(t);
            var p = dir.File($"{t}.npy");
            Npy.Save(p, src);
            using var back = Npy.Load(p);
            Assert.Equal(t, back.dtype);
            Assert.True(src.Equals(back));
        }
        using var scalar = tensor(2.5);
        Npy.Save(dir.File("s.npy"), scalar);
        using var s = Npy.Load(dir.File("s.npy"));
        Assert.Empty(s.shape);
        Assert.Equal(2.5, s.item<double>());
    }

    [PythonFact("numpy")]
    public void ReadsFortranOrderedArraysWrittenByNumpy()
    {
        using var dir = new TempDir();
        var p = dir.File("f.npy");
        int rc = TestPaths.RunPython("import sys, numpy as np; np.save(sys.argv[1], np.asfortranarray(np.arange(24, dtype=np.int64).reshape(2, 3, 4)))", out _, out var e, 60_000, p);
        Assert.True(rc == 0, e);
        using var t = Npy.Load(p);
        using var expected = arange(24, dtype: ScalarType.Int64).reshape(2, 3, 4);
        Assert.True(expected.Equals(t));
    }

    [PythonFact("numpy")]
    public void SavedFilesAreReadByNumpy()
    {
        using var dir = new TempDir();
        using var src = arange(6, dtype: ScalarType.Float32).reshape(2, 3).t();
        Npy.Save(dir.File("a.npy"), src);
        int rc = TestPaths.RunPython("import sys, numpy as np; a = np.load(sys.argv[1]); print(a.dtype, a.shape, a.tolist())", out var o, out var e, 60_000, dir.File("a.npy"));
        Assert.True(rc == 0, e);
        Assert.Equal("float32 (3, 2) [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]", o.Trim());
    }

    [Theory]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "big-endian")]
    [InlineData("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16, "unsupported dtype '<c8'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8, "needs 12 data bytes but 8 follow")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", 8, "too large")]
    [InlineData("{'descr': '<f4'}", 8, "malformed .npy header")]
    public void MalformedNpyNamesFileAndProblem(string header, int dataBytes, string expected)
    {
        using var dir = new TempDir();
        var p = dir.File("bad.npy");
        var h = System.Text.Encoding.ASCII.GetBytes(header + "\n");
        var bytes = new byte[10 + h.Length + dataBytes];
        new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }.CopyTo(bytes, 0);
        BitConverter.GetBytes((ushort)h.Length).CopyTo(bytes, 8);
        h.CopyTo(bytes, 10);
        File.WriteAllBytes(p, bytes);
        var ex = Assert.Throws<CheckpointFormatException>(() => Npy.Load(p));
        Assert.Contains(p, ex.Message);
        Assert.Contains(expected, ex.Message);
    }
}

[DisposeScopePerTest]
public class TorchSharpDatTests
{
    private const string Case = "reference/vidtok-golden/causal_v1_0_fsq";

    [SharedFact(Case + "/weights.torchsharp.dat", Case + "/weights.index.json")]
    public void GoldenWeightsMatchTheirIndex()
    {
        var dat = TestPaths.Shared(Case, "weights.torchsharp.dat")!;
        using var index = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Shared(Case, "weights.index.json")!));
        using var sd = TorchSharpDat.Load(dat);
        var entries = index.RootElement.EnumerateArray().ToList();
        Assert.Equal(entries.Select(e => e.GetProperty("name").GetString()), sd.Keys);
        var raw = File.ReadAllBytes(dat);
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var t = sd[e.GetProperty("name").GetString()!];
            Assert.Equal(e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), t.shape);
            Assert.Equal(e.GetProperty("dtype").GetString() == "int64" ? ScalarType.Int64 : ScalarType.Float32, t.dtype);
            if (i % 25 != 0) continue; // byte-compare a sample
            long off = e.GetProperty("data_offset_bytes").GetInt64();
            var bytes = t.bytes.ToArray();
            Assert.Equal(raw.AsSpan((int)off, bytes.Length).ToArray(), bytes);
        }
    }

    [Fact]
    public void TruncatedAndGarbageFilesThrow()
    {
        using var dir = new TempDir();
        // one entry "w", float32 (6), rank 1, dim 4 → needs 16 bytes, only 3 given
        var p = dir.File("t.dat");
        File.WriteAllBytes(p, [1, 1, (byte)'w', 6, 1, 4, 0, 0, 0]);
        var ex = Assert.Throws<CheckpointFormatException>(() => TorchSharpDat.Load(p));
        Assert.Contains(p, ex.Message);
        Assert.Contains("'w'", ex.Message);
        File.WriteAllBytes(p, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        Assert.Throws<CheckpointFormatException>(() => TorchSharpDat.Load(p));
        File.WriteAllBytes(p, [1, 1, (byte)'w', 99, 0]);
        Assert.Contains("unknown dtype code 99", Assert.Throws<CheckpointFormatException>(() => TorchSharpDat.Load(p)).Message);
    }

    [Fact]
    public void ReadsWhatTorchSharpSaves()
    {
        using var dir = new TempDir();
        using var lin = TorchSharp.torch.nn.Linear(3, 2);
        lin.save(dir.File("lin.dat"));
        using var sd = TorchSharpDat.Load(dir.File("lin.dat"));
        Assert.Equal(new[] { "weight", "bias" }, sd.Keys);
        Assert.True(sd["weight"].Equals(lin.weight!));
    }
}
